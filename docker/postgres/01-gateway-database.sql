-- gateway's database; dataset-service's "tooltune" is POSTGRES_DB. Tables come from each service's Flyway migrations.
CREATE DATABASE tooltune_gateway;

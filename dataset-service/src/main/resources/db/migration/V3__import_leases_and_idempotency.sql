-- Several replicas share the database. An import runs on the replica that received its upload (the spooled file
-- is there) and holds a lease it renews while the job is queued or running; a job whose lease ran out belongs to
-- a replica that stopped, and any replica marks it failed. Jobs of live replicas are left alone.
alter table import_job add column owner text;
alter table import_job add column lease_until timestamptz;
-- A client that retries an upload with the same Idempotency-Key gets the first job back instead of a second import.
alter table import_job add column idempotency_key text;
create unique index import_job_idempotency on import_job (dataset_id, idempotency_key) where idempotency_key is not null;

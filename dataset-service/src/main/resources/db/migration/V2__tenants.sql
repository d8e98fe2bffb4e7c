-- Every dataset belongs to a tenant (the gateway's customer); names are unique per tenant, not globally.
-- Datasets made before tenants existed belong to the tenant "default".
alter table dataset add column tenant_id text not null default 'default';
alter table dataset alter column tenant_id drop default;
alter table dataset drop constraint dataset_name_key;
alter table dataset add constraint dataset_tenant_name unique (tenant_id, name);
create index dataset_tenant on dataset (tenant_id, id);

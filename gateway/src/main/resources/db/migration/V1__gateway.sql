-- Tenants and their API keys. A key is stored only as the SHA-256 of its text (see ApiKeys for why that is enough).
create table tenant (
    id          varchar(128) primary key,
    created_at  timestamptz  not null default now()
);

create table api_key (
    id          varchar(64)  primary key,             -- public handle for list/revoke, e.g. key_3f9a...
    tenant_id   varchar(128) not null references tenant (id),
    key_hash    char(64)     not null unique,         -- lowercase hex SHA-256 of the key's UTF-8 text
    key_prefix  varchar(16)  not null,                -- first characters of the key, to recognise it in lists
    created_at  timestamptz  not null default now(),
    revoked_at  timestamptz
);
create index api_key_tenant on api_key (tenant_id);

-- A file is one frozen dataset version in dataset-service, owned by a tenant.
create table file (
    id            varchar(64)  primary key,
    tenant_id     varchar(128) not null references tenant (id),
    filename      varchar(512) not null,
    purpose       varchar(32)  not null,
    bytes         bigint       not null,
    dataset_id    varchar(128) not null,
    dataset_version integer    not null,
    examples      integer,
    created_at    timestamptz  not null default now()
);
create index file_tenant on file (tenant_id, created_at desc);

create table fine_tuning_job (
    id                  varchar(64)  primary key,
    tenant_id           varchar(128) not null references tenant (id),
    model               varchar(1024) not null,
    training_file       varchar(64)  not null,
    validation_file     varchar(64),
    suffix              varchar(64),
    seed                bigint       not null,
    status              varchar(32)  not null,
    recipe              jsonb        not null,         -- the training-jobs submit message as sent
    fine_tuned_model    varchar(1400),
    adapter_id          varchar(128),
    trained_tokens      bigint,
    error_code          varchar(64),
    error_message       varchar(4000),
    error_param         varchar(64),
    cancel_requested_at timestamptz,
    estimated_finish    timestamptz,
    created_at          timestamptz  not null,
    finished_at         timestamptz,
    metadata            jsonb
);
create index fine_tuning_job_tenant on fine_tuning_job (tenant_id, created_at desc, id desc);
create unique index fine_tuning_job_model on fine_tuning_job (tenant_id, fine_tuned_model);

-- training-events as received; event_id as primary key makes a redelivered event a no-op.
create table job_event (
    event_id    varchar(128) primary key,
    seq         bigserial    not null unique,
    job_id      varchar(64)  not null references fine_tuning_job (id),
    type        varchar(32)  not null,
    level       varchar(8)   not null,
    message     varchar(4000) not null,
    data        jsonb,
    occurred_at timestamptz  not null
);
create index job_event_job on job_event (job_id, seq);

-- Transactional outbox: written in the transaction that creates (or cancels) a job, relayed to Kafka afterwards.
create table outbox_message (
    id          bigserial    primary key,
    topic       varchar(255) not null,
    record_key  varchar(255) not null,
    payload     text,                                 -- null: a tombstone
    created_at  timestamptz  not null default now(),
    sent_at     timestamptz
);
create index outbox_unsent on outbox_message (id) where sent_at is null;

-- The adapters topic as last read (compacted, read from the beginning at every start; tombstones delete rows).
create table adapter (
    adapter_id       varchar(128) primary key,
    tenant_id        varchar(128) not null,
    name             varchar(64)  not null,
    version          integer      not null,
    job_id           varchar(128) not null,
    base_model       varchar(1024) not null,
    method           varchar(16)  not null,
    fine_tuned_model varchar(1400) not null,
    created_at       timestamptz  not null
);
create index adapter_tenant on adapter (tenant_id, created_at);
create index adapter_public_name on adapter (tenant_id, fine_tuned_model);

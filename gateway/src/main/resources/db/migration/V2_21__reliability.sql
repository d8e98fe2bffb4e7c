-- #21: state that heals after a lost topic or a dead trainer; the full report of a refused upload.
-- The adapters record as read (MessageCodec JSON), so that the gateway can publish it again when the topic lost it.
alter table adapter add column record jsonb;
-- When the registry last heard of the job from a trainer (or queued it), and how often it was queued again because
-- no trainer reported on it within tooltune.gateway.jobs.heartbeat-timeout.
alter table fine_tuning_job add column last_event_at timestamptz;
alter table fine_tuning_job add column requeues integer not null default 0;
-- The full import report of an uploaded file that was refused (its dataset is deleted with it), linked from the error.
create table file_import_report (
    id            varchar(64)  primary key,
    tenant_id     varchar(128) not null references tenant (id),
    filename      varchar(1024) not null,
    problem_count bigint       not null,
    message       varchar(4000),
    problems      jsonb        not null,
    created_at    timestamptz  not null
);

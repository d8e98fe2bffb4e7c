-- A dataset is a name for a sequence of immutable, numbered versions. A version is an ordered set of
-- examples; examples are shared between versions, so editing one example of a large version copies only
-- the (version, position, example) membership rows, never the example bodies.

create table dataset (
    id          bigserial primary key,
    name        text not null unique,
    description text,
    created_at  timestamptz not null default now()
);

create table import_job (
    id               bigserial primary key,
    dataset_id       bigint not null references dataset (id) on delete cascade,
    state            text not null check (state in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'REJECTED', 'FAILED')),
    mode             text not null check (mode in ('STRICT', 'LENIENT')),
    format           text not null,
    keep_invalid     boolean not null default false,
    drop_duplicates  boolean not null default false,
    append           boolean not null default false,
    bytes_total      bigint not null default 0,
    bytes_read       bigint not null default 0,
    lines_read       bigint not null default 0,
    examples_stored  bigint not null default 0,
    invalid_lines    bigint not null default 0,
    duplicate_lines  bigint not null default 0,
    blank_lines      bigint not null default 0,
    problem_count    bigint not null default 0,
    -- the first problems found, [{line, path, reason, severity}]; problem_count says how many there were
    problems         jsonb not null default '[]',
    version_number   integer,
    message          text,
    created_at       timestamptz not null default now(),
    started_at       timestamptz,
    finished_at      timestamptz
);
create index import_job_dataset on import_job (dataset_id, id);

create table dataset_version (
    id            bigserial primary key,
    dataset_id    bigint not null references dataset (id) on delete cascade,
    -- null while the version is being written inside its (uncommitted) transaction
    number        integer,
    parent_number integer,
    origin        text not null check (origin in ('IMPORT', 'EDIT', 'DELETE')),
    note          text,
    import_job_id bigint references import_job (id) on delete set null,
    example_count integer not null default 0,
    invalid_count integer not null default 0,
    frozen_at     timestamptz,
    created_at    timestamptz not null default now(),
    unique (dataset_id, number)
);

create table example (
    id            bigserial primary key,
    dataset_id    bigint not null references dataset (id) on delete cascade,
    -- canonical OpenAI chat JSON, byte for byte what export writes
    body          text not null,
    -- sha-256 of body: exact-duplicate detection and the seed-stable order of train/eval splits
    content_hash  bytea not null,
    -- names of the tools the example calls, one entry per call: filtering and calls-per-tool statistics
    called_tools  jsonb not null default '[]',
    message_count integer not null,
    call_count    integer not null,
    valid         boolean not null,
    -- [{path, reason}] when not valid
    problems      jsonb,
    source_line   bigint,
    -- Gemma 3 tokens of the example in Gemma's chat format, filled in lazily by statistics
    token_count   integer,
    created_at    timestamptz not null default now()
);
create index example_dataset on example (dataset_id);
create index example_called_tools on example using gin (called_tools jsonb_path_ops);

create table version_example (
    version_id bigint not null references dataset_version (id) on delete cascade,
    position   integer not null,
    example_id bigint not null references example (id) on delete cascade,
    primary key (version_id, position)
);
create index version_example_example on version_example (example_id);

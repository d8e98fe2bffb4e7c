-- An uploaded line's top-level keys other than the chat fields (an id, a category, a reference answer) are the
-- example's metadata: kept here for queries and exported back with the example (its body carries them too, in
-- their original order). Null when the line had none.
alter table example add column metadata jsonb;

-- The import options that change validation, so that a queued job runs with what its upload asked for.
alter table import_job add column undeclared_arguments text not null default 'WARN'
    check (undeclared_arguments in ('WARN', 'REJECT'));
alter table import_job add column normalize_schema_types boolean not null default false;

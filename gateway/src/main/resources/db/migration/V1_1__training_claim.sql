-- Which trainer worker trains a job now (trainer-service claims it through /internal/training-claims before it
-- starts): two deliveries of one job (the outbox relaying twice, a redelivery while the first worker lives) can
-- then never train at the same time. A claim expires unless its owner renews it, so a dead worker's job is taken
-- over; epoch counts the owners a job has had (a fencing token: it changes exactly when another worker takes over).
-- No foreign key to fine_tuning_job: a claim may arrive before the job's row is visible to this replica.
create table training_claim (
    job_id      varchar(64)  primary key,
    owner       varchar(256) not null,
    epoch       bigint       not null,
    expires_at  timestamptz  not null,
    claimed_at  timestamptz  not null default now()
);

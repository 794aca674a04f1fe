-- Checks bounded by the run, version 17 (issue 15). Idempotent.
--
-- An hourly transform validates the days its new batches changed, not the whole history; the
-- first transform of each local day, a manual one, and one after a reference change validate
-- everything (pipelines.scope). A suite records the days it validated (null: all its rows), a
-- transform whether its validation was full, so the next one knows when the last full one ran.
alter table dq.validation_run add column if not exists validated_days date[];
comment on column dq.validation_run.validated_days is '校验日期 / the days validated when the run was bounded by what it changed (null: every row of the data asset)';
alter table dq.transform_run add column if not exists full_validation boolean not null default true;
comment on column dq.transform_run.full_validation is '是否全量校验 / whether the run validated every row (else only the days its new batches changed)';

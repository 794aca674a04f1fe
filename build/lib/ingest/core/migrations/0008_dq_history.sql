-- Data-quality history, issue 7. Idempotent: every statement can run again.
-- A pipeline run (one run of the transform DAG) validates several suites: each dq.validation_run
-- row names the pipeline run it belongs to, its stage (gate before the marts, or marts) and the
-- dbt selectors a critical failure of a gate kept at their last good version.
alter table dq.validation_run add column if not exists pipeline_run text;
alter table dq.validation_run add column if not exists stage text;
alter table dq.validation_run add column if not exists blocked_models text[];
comment on column dq.validation_run.pipeline_run is '所属流水线运行 / the transform run (dag_id__run_id) the validation belongs to';
comment on column dq.validation_run.blocked_models is '因严重失败未刷新的集市 / dbt selectors kept at their last good version by this critical failure';
create index if not exists validation_run_pipeline on dq.validation_run (pipeline_run);

-- dbt source freshness (dbt source freshness -> sources.json), one row per source table and run,
-- so freshness history is queryable beside dq.dbt_result and the GX results.
create table if not exists dq.source_freshness (
    invocation_id text not null,
    unique_id text not null,              -- source.lantian.<source>.<table>
    source_name text not null,
    table_name text not null,
    status text not null,                 -- pass | warn | error | runtime error
    max_loaded_at timestamptz,            -- the newest loaded_at_field value
    snapshotted_at timestamptz,           -- when dbt looked
    age_seconds numeric,
    warn_after text,                      -- e.g. '2 hour'
    error_after text,
    message text,
    pipeline_run text,
    generated_at timestamptz not null,
    primary key (invocation_id, unique_id)
);
comment on table dq.source_freshness is '数据源新鲜度: one row per source table of each dbt source freshness run';

-- dbt build/test results, loaded after every transform run (GitLab data team pattern), so BI and
-- auditors can query test history without dbt's target/ files.
create table if not exists dq.dbt_result (
    invocation_id text not null,
    unique_id text not null,
    resource_type text not null,
    name text not null,
    status text not null,
    failures integer,
    message text,
    execution_seconds numeric,
    generated_at timestamptz not null,
    primary key (invocation_id, unique_id)
);
comment on table dq.dbt_result is 'dbt 运行与测试结果: one row per node of each dbt invocation';

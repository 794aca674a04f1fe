-- Lantian warehouse DDL, version 1. Idempotent: every statement can run again on a migrated database.
-- Schemas: raw (landed records, append-only), quarantine (rejected records with the reason),
-- audit (one row per load batch), dq (validation results). dbt owns staging/intermediate/marts.
create schema if not exists raw;
create schema if not exists quarantine;
create schema if not exists audit;
create schema if not exists dq;

-- One row per load batch: a file (or interval) of one source, with its reconciliation:
-- records_in = records_loaded + records_quarantined + records_duplicate.
create table if not exists audit.load_batch (
    batch_id bigint generated always as identity primary key,
    source text not null,                 -- feed name, e.g. 'national_station_hourly'
    source_file text not null,            -- path relative to the inbox
    file_sha256 text,                     -- null when the file could not be read
    file_bytes bigint,
    interval_start timestamptz,           -- the data interval the file belongs to
    interval_end timestamptz,
    records_in integer not null default 0,
    records_loaded integer not null default 0,
    records_quarantined integer not null default 0,
    records_duplicate integer not null default 0,
    status text not null check (status in ('running', 'loaded', 'failed')),
    message text,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    loaded_by text                        -- Airflow dag_id/run_id or 'cli'
);
comment on table audit.load_batch is '加载批次审计: one row per load batch; records_in = loaded + quarantined + duplicate';
create unique index if not exists load_batch_file_version
    on audit.load_batch (source, source_file, file_sha256) where status = 'loaded';

-- Hourly station publication (national real-time platform, HeQinWill/CNEMC archive format).
-- Values kept exactly as published (text), so an auditor sees what the file said; staging types them.
create table if not exists raw.station_hour_publication (
    batch_id bigint not null references audit.load_batch (batch_id),
    source_file text not null,
    line_number integer not null,         -- 1 = header line
    observed_at timestamptz not null,     -- hour END, local time (UTC+8) as published
    timepoint text not null,
    station_code text not null,
    longitude text,
    latitude text,
    area text,
    position_name text,
    primary_pollutant text,
    aqi text,
    pm10 text, pm10_24h text, pm2_5 text, pm2_5_24h text,
    o3 text, o3_24h text, o3_8h text, o3_8h_24h text,
    no2 text, no2_24h text, so2 text, so2_24h text, co text, co_24h text,
    primary key (batch_id, line_number)
);
comment on table raw.station_hour_publication is '国控站点小时实时发布原始记录 (append-only; latest batch per station-hour wins in staging)';
create index if not exists station_hour_publication_key
    on raw.station_hour_publication (station_code, observed_at, batch_id);

create table if not exists quarantine.rejected_record (
    batch_id bigint not null references audit.load_batch (batch_id),
    source text not null,
    source_file text not null,
    line_number integer,                  -- line (CSV/packets) or row (xlsx)
    sheet text,                           -- xlsx only
    column_name text,
    value text,
    reason text not null,
    raw_record text,
    quarantined_at timestamptz not null default now()
);
comment on table quarantine.rejected_record is '隔离记录: every rejected input record with file, line and reason';
create index if not exists rejected_record_batch on quarantine.rejected_record (batch_id);

-- Great Expectations results, one row per validation run and per expectation.
create table if not exists dq.validation_run (
    run_id text primary key,
    checkpoint text not null,
    suite text not null,
    data_asset text not null,
    interval_start timestamptz,
    interval_end timestamptz,
    success boolean not null,
    evaluated_expectations integer not null,
    successful_expectations integer not null,
    severity text not null default 'critical',
    report_path text,
    run_at timestamptz not null default now()
);
create table if not exists dq.expectation_result (
    run_id text not null references dq.validation_run (run_id) on delete cascade,
    expectation_index integer not null,
    expectation_type text not null,
    column_name text,
    kwargs jsonb not null,
    severity text not null,
    success boolean not null,
    observed_value text,
    element_count bigint,
    unexpected_count bigint,
    unexpected_percent numeric,
    partial_unexpected jsonb,
    primary key (run_id, expectation_index)
);

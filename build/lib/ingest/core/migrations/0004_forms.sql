-- Bureau spreadsheets (委办局报表), issue 4. Idempotent: every statement can run again.
-- A workbook is one audit.load_batch (source 'form:<form_id>'); its rows land in raw.form_record
-- as JSONB (typed, normalised values by schema column) beside the cells as written; each
-- (period, scope) the workbook reports is a version in raw.form_submission. A re-sent workbook
-- for the same form, period and scope supersedes the earlier version: nothing is deleted, the
-- earlier version gets superseded_by_batch / superseded_at, so an auditor can see what a bureau
-- reported when. Rejected cells go to quarantine.rejected_record (sheet, row, column, value).
create table if not exists raw.form_record (
    batch_id bigint not null references audit.load_batch (batch_id),
    form_id text not null,                -- schema ingest/forms/<form_id>.yaml
    source_file text not null,            -- path relative to the inbox
    sheet text not null,
    row_number integer not null,          -- the Excel row (1-based)
    period text not null,                 -- 2026 | 2026-Q1 | 2026-03 | 2026-W11 | 2026-03-05
    scope text not null,                  -- 全市 or the county the workbook covers
    record_key text not null,             -- the schema's record_key values joined with '|'
    record jsonb not null,                -- normalised values: numbers, ISO dates, canonical codes
    raw_cells jsonb not null,             -- the cells as written (text), unknown columns under _extra
    primary key (batch_id, sheet, row_number)
);
comment on table raw.form_record is '委办局报表原始记录: one row per accepted workbook row, every version kept';
create index if not exists form_record_slice on raw.form_record (form_id, period, scope, batch_id);

create table if not exists raw.form_submission (
    batch_id bigint not null references audit.load_batch (batch_id),
    form_id text not null,
    period text not null,
    scope text not null,
    source_file text not null,
    owner text not null,                  -- the bureau that owns the form
    schema_version integer not null,
    records integer not null,             -- accepted rows of this period and scope
    rejected integer not null,
    duplicates integer not null,
    loaded_at timestamptz not null default now(),
    superseded_by_batch bigint references audit.load_batch (batch_id),
    superseded_at timestamptz,
    primary key (batch_id, period, scope)
);
comment on table raw.form_submission is '报表版本: one row per workbook and (period, scope); the current version has superseded_by_batch null';
create unique index if not exists form_submission_current
    on raw.form_submission (form_id, period, scope) where superseded_by_batch is null;

-- One row per workbook loaded or failed: what was read, and the feedback report sent back.
create table if not exists audit.form_file (
    batch_id bigint primary key references audit.load_batch (batch_id),
    form_id text not null,
    scope text,
    periods text[],
    sheets_read text[],
    notes jsonb,                          -- what was skipped or converted (Chinese)
    problems jsonb,                       -- why a failed workbook failed (Chinese)
    feedback_report text                  -- path of the per-file feedback report (HTML)
);
comment on table audit.form_file is '报表文件处理情况与反馈报告路径';

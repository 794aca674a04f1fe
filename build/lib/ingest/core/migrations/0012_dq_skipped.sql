-- A suite whose table does not exist yet (the gate blocked its first build) is recorded as
-- skipped with the reason, not run into errors on a missing table (issue 12).
alter table dq.validation_run add column if not exists skipped_reason text;
comment on column dq.validation_run.skipped_reason is '未校验原因 / why the suite was not validated (e.g. its table was never built: no previous version)';

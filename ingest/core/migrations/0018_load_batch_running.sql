-- The batches still loading, version 18 (issue 15). Idempotent.
--
-- Every incremental model's watermark stays below the lowest batch still running
-- (dbt_project/macros/incremental.sql, below_unfinished_batches), and the ledger looks for a
-- running batch of a file before it opens one. audit.load_batch gains a row per file per hour for
-- years (a city: some 60,000 a day), while a handful are running at any moment: a partial index
-- keeps both lookups at the cost of those few rows instead of a scan of the whole ledger.
create index if not exists load_batch_running
on audit.load_batch (batch_id, started_at)
where status = 'running';
create index if not exists load_batch_running_file
on audit.load_batch (source, source_file)
where status = 'running';

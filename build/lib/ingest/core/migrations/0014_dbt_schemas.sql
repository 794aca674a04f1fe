-- Every schema dbt builds into exists before dbt runs, version 14. Idempotent.
--
-- 0007 created staging, intermediate, reference and marts so that the transformer needs CREATE
-- on those schemas only, never on the database; it missed lineage (the row lineage of the marts),
-- so the first transform as the ETL login failed on dbt's `create schema if not exists "lineage"`
-- (permission denied for database). quarantine (dbt's views beside the loader's table) is 0001's.
-- The grants of ingest/core/grants.py (GRANTS["lineage"]) follow in the same migrate() run.
create schema if not exists lineage;

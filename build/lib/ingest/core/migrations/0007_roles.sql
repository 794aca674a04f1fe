-- Lantian warehouse roles, version 7. Idempotent and safe to run concurrently on one server.
--
-- Four NOLOGIN group roles. Roles are cluster-wide in PostgreSQL, so the names carry the
-- project prefix (a shared server may host other applications). Nobody logs in as them: the
-- deployment creates login users and makes them members (docker/warehouse-init/, README
-- "Warehouse roles"), so no password lives in a migration or in the repository.
--   lantian_loader       writes raw, quarantine, audit (the ingest DAGs)
--   lantian_transformer  builds staging, intermediate, reference, marts with dbt; writes dq
--   lantian_bi_reader    reads marts only (BI tools)
--   lantian_auditor      reads dq, audit, quarantine and lineage
-- What each role may do on which schema is the map in ingest/grants.py, re-applied by
-- ingest.migrate.migrate() after every run and by ingest.dbt_runner after every dbt build,
-- so schemas and tables created later are covered too.
--
-- Two sessions on one server may both find a role missing and both create it: the loser gets
-- duplicate_object (or unique_violation on pg_authid), which means the role now exists.
do $$
declare
    role_name text;
begin
    foreach role_name in array array[
        'lantian_loader', 'lantian_transformer', 'lantian_bi_reader', 'lantian_auditor'
    ] loop
        if not exists (select 1 from pg_catalog.pg_roles where rolname = role_name) then
            begin
                execute 'create role ' || quote_ident(role_name) || ' nologin';
            exception when duplicate_object or unique_violation then
                null;
            end;
        end if;
    end loop;
end
$$;

-- The dbt layers exist before dbt runs, owned by the migrating user, so the transformer needs
-- CREATE on these schemas only, never on the database.
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists reference;
create schema if not exists marts;

-- PostgreSQL < 15 lets every role create objects in schema public: nobody should.
revoke create on schema public from public;

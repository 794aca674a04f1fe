-- What each transform saw, version 15. Idempotent.
--
-- A transform run triggered by an asset event builds only when a batch loaded that the last
-- build did not see (issue 14: backfill's concurrent loads, and a load's event arriving after a
-- run that already took its data, each started a whole transform that changed nothing).
-- "Saw" is exact, not a clock comparison: each loaded batch records the transaction that
-- committed it (loaded_xid), each build the snapshot it started from; a batch is unseen when
-- its transaction is not visible in that snapshot (pg_visible_in_snapshot). A batch that commits
-- while a build starts is never taken as seen: it is either visible or the next run builds it.
alter table audit.load_batch add column if not exists loaded_xid xid8;
comment on column audit.load_batch.loaded_xid is '入库事务号 / the transaction that committed the batch as loaded (pg_current_xact_id)';

create table if not exists dq.transform_run (
    pipeline_run text primary key,
    seen_snapshot text not null,
    built_at timestamptz not null default clock_timestamp()
);
comment on table dq.transform_run is '转换运行 / one row per transform whose marts build finished: the warehouse snapshot its build started from';
comment on column dq.transform_run.seen_snapshot is '构建起点快照 / pg_current_snapshot() read before the build: the batches it saw';

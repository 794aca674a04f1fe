-- HJ 212 raw tables partitioned by month (issue 15, Storage), version 16. Idempotent: a warehouse
-- migrated already, a new one and one that holds rows in the unpartitioned tables of 0003 all end
-- with the same layout and every row kept.
--
-- Layout (PostgreSQL declarative partitioning; a unique key must include the partition key):
--   raw.hj212_reading  partition by list (cn)
--     raw.hj212_reading_minute   cn in ('2011', '2051'): real-time and minute readings, the ones
--                                retention drops; partition by range (data_time), one per month
--     raw.hj212_reading_hourly   default (2061 hourly, 2031 daily, anything else): kept forever;
--                                partition by range (data_time), one per month
--   raw.hj212_packet   partition by list (cn), the same two classes, then by range (received_hour)
--     raw.hj212_packet_minute    cn in ('2011', '2051'): the raw text of the minute packets (the
--                                biggest table), dropped with its readings
--     raw.hj212_packet_hourly    default: hourly and daily packets, acks, other commands: kept
-- Each class has a default range partition (`<class>_default`) that catches a month nobody created
-- (a device clock years off), so no row is ever rejected for want of a partition; monthly ones are
-- `<class>_YYYYMM`, bounds at local (Asia/Shanghai) month starts, the months the marts use.
-- CN is the list key because retention is decided by it (minute and real-time data expire, hourly
-- and daily results stay), and CN is in the reading key already, so the dedupe key stays
-- (mn, cn, data_time, pollutant_code, statistic), unchanged: first sighting wins across
-- partitions, since one key always routes to one partition.
-- Packets are ranged by received_hour, not data_time: data_time is null for acks, and a replay
-- carries old data_times, while the packet text is the record of what arrived when. received_hour
-- (the hour the file is named for, else the hour it was loaded) is always set; the primary key
-- becomes (batch_id, packet_seq, cn, received_hour): one file is one batch with one received_hour,
-- so (batch_id, packet_seq) is still unique, as the loader numbers a file's packets.
--
-- Partitions are created ahead by raw.hj212_ensure_partitions (below): by this migration for this
-- month and the next and for every month old rows touch, and by the loader (which runs no DDL of
-- its own: the function is SECURITY DEFINER) for the months a file touches, before its COPY.

-- the old, unpartitioned tables (0003) step aside; their rows move below
do $$
begin
    if (select c.relkind from pg_class as c where c.oid = to_regclass('raw.hj212_reading')) = 'r' then
        alter table raw.hj212_reading rename to hj212_reading_unpartitioned;
        alter index if exists raw.hj212_reading_pkey rename to hj212_reading_unpartitioned_pkey;
        alter index if exists raw.hj212_reading_batch rename to hj212_reading_unpartitioned_batch;
    end if;
    if (select c.relkind from pg_class as c where c.oid = to_regclass('raw.hj212_packet')) = 'r' then
        alter table raw.hj212_packet rename to hj212_packet_unpartitioned;
        alter index if exists raw.hj212_packet_pkey rename to hj212_packet_unpartitioned_pkey;
        alter index if exists raw.hj212_packet_device_time rename to hj212_packet_unpartitioned_device_time;
    end if;
end
$$;

create table if not exists raw.hj212_packet (
    batch_id bigint not null references audit.load_batch (batch_id),
    source_file text not null,
    line_number integer not null,
    packet_seq integer not null,
    receiver text not null,
    qn text,
    st text not null,
    cn text not null,
    mn text not null,
    flag integer,
    protocol text not null,
    needs_ack boolean not null,
    pnum integer,
    pno integer,
    data_time timestamptz,
    kind text not null check (kind in ('data', 'ack', 'other')),
    readings integer not null,
    was_split boolean not null,
    raw_packet text not null,
    received_hour timestamptz not null,   -- the hour the file is named for (its START), else loaded
    primary key (batch_id, packet_seq, cn, received_hour)
) partition by list (cn);
comment on table raw.hj212_packet is 'HJ 212 报文 (append-only, every sighting incl. replays) / every well-formed packet as received; partitioned by CN class, then received month';
comment on column raw.hj212_packet.received_hour is '接收小时 / the hour the packet log is named for (START, local), else the hour it was loaded: the partition key';
create index if not exists hj212_packet_device_time on raw.hj212_packet (mn, cn, data_time);
create table if not exists raw.hj212_packet_minute partition of raw.hj212_packet
for values in ('2011', '2051') partition by range (received_hour);
create table if not exists raw.hj212_packet_hourly partition of raw.hj212_packet
default partition by range (received_hour);
create table if not exists raw.hj212_packet_minute_default partition of raw.hj212_packet_minute default;
create table if not exists raw.hj212_packet_hourly_default partition of raw.hj212_packet_hourly default;

create table if not exists raw.hj212_reading (
    mn text not null,
    cn text not null,
    data_time timestamptz not null,
    pollutant_code text not null,
    statistic text not null check (
        statistic in ('rtd', 'avg', 'min', 'max', 'cou', 'zs_rtd', 'zs_avg', 'zs_min', 'zs_max')
    ),
    value numeric not null,
    flag text,
    st text not null,
    source_code text,
    qn text,
    -- no foreign key (0003: a per-row trigger on the busiest table)
    batch_id bigint not null,
    source_file text not null,
    line_number integer not null,
    packet_seq integer not null,
    primary key (mn, cn, data_time, pollutant_code, statistic)
) partition by list (cn);
comment on table raw.hj212_reading is 'HJ 212 监测数据, 每个键一行 (先到为准) / one row per (MN, CN, DataTime, code, statistic), first sighting wins; partitioned by CN class, then month of DataTime';
create index if not exists hj212_reading_batch on raw.hj212_reading (batch_id);
create table if not exists raw.hj212_reading_minute partition of raw.hj212_reading
for values in ('2011', '2051') partition by range (data_time);
create table if not exists raw.hj212_reading_hourly partition of raw.hj212_reading
default partition by range (data_time);
create table if not exists raw.hj212_reading_minute_default partition of raw.hj212_reading_minute default;
create table if not exists raw.hj212_reading_hourly_default partition of raw.hj212_reading_hourly default;

-- Create the monthly partitions of a family ('reading' or 'packet', both CN classes) for the
-- months starting on the given local dates, if missing; safe under concurrent loads (one creator
-- at a time, by an advisory lock; the check is repeated under it). A partition is created beside
-- the table and then ATTACHed, which locks the parent only SHARE UPDATE EXCLUSIVE (loads and reads
-- go on); rows of that month a default partition already caught are moved into it first, since
-- attaching would otherwise fail on them. SECURITY DEFINER: the loader role runs no DDL, and
-- identifiers come from the fixed list here, never from the caller.
create or replace function raw.hj212_ensure_partitions(family text, months date[])
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $fn$
declare
    class text;
    parent text;
    col text;
    m date;
    next date;
    part text;
    lo timestamptz;
    hi timestamptz;
    created integer := 0;
    locked boolean := false;
begin
    if family = 'reading' then
        col := 'data_time';
    elsif family = 'packet' then
        col := 'received_hour';
    else
        raise exception using message = 'hj212_ensure_partitions: unknown family ' || family;
    end if;
    foreach m in array coalesce(months, '{}'::date[]) loop
        m := date_trunc('month', m)::date;
        foreach class in array array['minute', 'hourly'] loop
            parent := 'hj212_' || family || '_' || class;
            part := parent || '_' || to_char(m, 'YYYYMM');
            -- pg_class by a query, not to_regclass: the catalog cache is not refreshed by an
            -- advisory lock, so to_regclass could miss a partition another load just made
            continue when exists (
                select 1 from pg_class as c join pg_namespace as n on c.relnamespace = n.oid
                where n.nspname = 'raw' and c.relname = part
            );
            if not locked then
                perform pg_advisory_xact_lock(hashtext('lantian.raw.hj212_partitions'));
                locked := true;
                continue when exists (
                    select 1 from pg_class as c join pg_namespace as n on c.relnamespace = n.oid
                    where n.nspname = 'raw' and c.relname = part
                );
            end if;
            lo := make_timestamptz(extract(year from m)::int, extract(month from m)::int, 1, 0, 0, 0, 'Asia/Shanghai');
            -- the next month's start by the calendar, not lo + 1 month (that adds in the session's
            -- time zone: from 2026-11-30 16:00 UTC it would end on 2026-12-30 16:00 UTC)
            next := (m + interval '1 month')::date;
            hi := make_timestamptz(extract(year from next)::int, extract(month from next)::int, 1, 0, 0, 0, 'Asia/Shanghai');
            -- (no format(): the migration runner's driver reads a percent sign as a parameter)
            execute 'create table raw.' || quote_ident(part) || ' (like raw.' || quote_ident(parent)
                || ' including defaults including constraints)';
            execute 'with moved as (delete from raw.' || quote_ident(parent || '_default')
                || ' where ' || col || ' >= $1 and ' || col || ' < $2 returning *)'
                || ' insert into raw.' || quote_ident(part) || ' select * from moved'
            using lo, hi;
            execute 'alter table raw.' || quote_ident(parent) || ' attach partition raw.'
                || quote_ident(part) || ' for values from (' || quote_literal(lo::text)
                || ') to (' || quote_literal(hi::text) || ')';
            created := created + 1;
        end loop;
    end loop;
    return created;
end
$fn$;
comment on function raw.hj212_ensure_partitions(text, date[]) is 'HJ 212 分区 / create the monthly partitions (both CN classes) of raw.hj212_reading or raw.hj212_packet for the given months, if missing';
revoke all on function raw.hj212_ensure_partitions(text, date[]) from public;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'lantian_loader') then
        grant execute on function raw.hj212_ensure_partitions(text, date[]) to lantian_loader;
    end if;
end
$$;

-- this month and the next (local), ahead of the loader, plus every month the old rows touch
select raw.hj212_ensure_partitions(f.family, array[
    date_trunc('month', now() at time zone 'Asia/Shanghai')::date,
    (date_trunc('month', now() at time zone 'Asia/Shanghai') + interval '1 month')::date
]) from (values ('reading'), ('packet')) as f (family);

do $$
begin
    if to_regclass('raw.hj212_reading_unpartitioned') is not null then
        perform raw.hj212_ensure_partitions('reading', array(
            select distinct date_trunc('month', data_time at time zone 'Asia/Shanghai')::date
            from raw.hj212_reading_unpartitioned
        ));
        insert into raw.hj212_reading (
            mn, cn, data_time, pollutant_code, statistic, value, flag, st, source_code, qn,
            batch_id, source_file, line_number, packet_seq
        )
        select
            mn, cn, data_time, pollutant_code, statistic, value, flag, st, source_code, qn,
            batch_id, source_file, line_number, packet_seq
        from raw.hj212_reading_unpartitioned;
        drop table raw.hj212_reading_unpartitioned;
    end if;
    if to_regclass('raw.hj212_packet_unpartitioned') is not null then
        -- received_hour of the old packets: the hour their file is named for (audit.hj212_file),
        -- else the hour their batch started
        create temporary table hj212_packet_hour on commit drop as
        select b.batch_id, date_trunc('hour', coalesce(f.hour_start, b.started_at)) as received_hour
        from audit.load_batch as b
        left join audit.hj212_file as f on b.batch_id = f.batch_id
        where b.batch_id in (select distinct p.batch_id from raw.hj212_packet_unpartitioned as p);
        perform raw.hj212_ensure_partitions('packet', array(
            select distinct date_trunc('month', received_hour at time zone 'Asia/Shanghai')::date
            from hj212_packet_hour
        ));
        insert into raw.hj212_packet (
            batch_id, source_file, line_number, packet_seq, receiver, qn, st, cn, mn, flag,
            protocol, needs_ack, pnum, pno, data_time, kind, readings, was_split, raw_packet,
            received_hour
        )
        select
            p.batch_id, p.source_file, p.line_number, p.packet_seq, p.receiver, p.qn, p.st, p.cn,
            p.mn, p.flag, p.protocol, p.needs_ack, p.pnum, p.pno, p.data_time, p.kind, p.readings,
            p.was_split, p.raw_packet, h.received_hour
        from raw.hj212_packet_unpartitioned as p
        inner join hj212_packet_hour as h on p.batch_id = h.batch_id;
        drop table raw.hj212_packet_unpartitioned;
        drop table hj212_packet_hour;
    end if;
end
$$;
analyze raw.hj212_reading;
analyze raw.hj212_packet;

-- 分区清理记录 / one row per partition the retention operation dropped (python -m pipelines retention)
create table if not exists audit.hj212_partition_drop (
    drop_id bigint generated always as identity primary key,
    partition_name text not null,         -- e.g. raw.hj212_reading_minute_202601
    parent_table text not null,           -- raw.hj212_reading or raw.hj212_packet
    range_start timestamptz not null,     -- local month start (inclusive)
    range_end timestamptz not null,       -- next month start (exclusive)
    row_count bigint not null,
    min_batch_id bigint,
    max_batch_id bigint,
    retention_days integer not null,
    safe_because text not null,           -- why the downstream model no longer needs it
    dropped_by text not null default current_user,
    dropped_at timestamptz not null default clock_timestamp()
);
comment on table audit.hj212_partition_drop is 'HJ 212 分区清理 / one row per expired minute / real-time partition dropped by the retention operation';

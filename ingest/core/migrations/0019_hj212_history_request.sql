-- HJ 212 requests and 补传 (history fetched back), issue 16, version 19. Idempotent.
--
-- 1. The parser recognises the platform's requests (HJ 212-2017 table 9; C.10 CN=2011 with an
--    empty CP, C.20-C.22 CN=2051/2061/2031 with only BeginTime/EndTime): they are packets of kind
--    'request' (kept in raw like the acknowledgements; no reading, no reject), counted per file in
--    audit.hj212_file.packets_request. A DataTime with milliseconds (17 digits, the QN format of
--    table 3 where table 4 asks N14) is accepted and counted in datatime_milliseconds.
-- 2. audit.hj212_history_request: every history request the gap task (pipelines/hj212_gaps.py)
--    had the receiver send to a device (CN=2061 hourly history, BeginTime/EndTime: table 9,
--    C.21), with the receiver's answer (QnRtn of 9011, ExeRtn of 9012: tables 6 and 7). Whether the
--    hours were then filled is marts.hj212_gap_request (dbt), joining these rows with the hourly
--    values that arrived.

-- the kind check of raw.hj212_packet gains 'request'. Its name depends on the warehouse's history
-- (0016 created the partitioned table while 0003's table still held hj212_packet_kind_check: then
-- it is hj212_packet_kind_check1), so every check on kind is replaced, once (while one lacks it).
do $$
declare
    old_check record;
begin
    if exists (
        select 1 from pg_constraint
        where conrelid = 'raw.hj212_packet'::regclass and contype = 'c' and conislocal
            and position('kind' in pg_get_constraintdef(oid)) > 0
            and position('request' in pg_get_constraintdef(oid)) = 0
    ) then
        for old_check in
            select conname from pg_constraint
            where conrelid = 'raw.hj212_packet'::regclass and contype = 'c' and conislocal
                and position('kind' in pg_get_constraintdef(oid)) > 0
        loop
            execute 'alter table raw.hj212_packet drop constraint ' || quote_ident(old_check.conname);
        end loop;
        alter table raw.hj212_packet add constraint hj212_packet_kind_check
            check (kind in ('data', 'ack', 'request', 'other'));
    end if;
end
$$;

alter table audit.hj212_file add column if not exists packets_request integer not null default 0;
comment on column audit.hj212_file.packets_request is '平台请求 / requests of the platform (table 9, C.10, C.20-C.22: CN 2011/2051/2061/2031 without DataTime): counted, not loaded';
alter table audit.hj212_file add column if not exists datatime_milliseconds integer not null default 0;
comment on column audit.hj212_file.datatime_milliseconds is '毫秒数据时间 / data packets whose DataTime had 17 digits (milliseconds, kept): accepted and counted';

-- 补传请求 / one row per history request sent (or attempted) for a device's missing hours
create table if not exists audit.hj212_history_request (
    request_id bigint generated always as identity primary key,
    requested_at timestamptz not null default clock_timestamp(),
    answered_at timestamptz,              -- when the receiver reported the outcome
    device_mn text not null,              -- 设备唯一标识 MN
    cn text not null check (cn in ('2051', '2061', '2031')), -- 取分钟/小时/日历史数据 (C.20-C.22)
    begin_hour timestamptz not null,      -- BeginTime: START of the first missing hour (local in the packet)
    end_hour timestamptz not null,        -- EndTime: START of the last missing hour (C.21: inclusive)
    missing_hours integer not null,       -- the missing hours of [begin_hour, end_hour] asked for
    qn text,                              -- 请求编码 QN the receiver sent (table 3)
    status text not null check (
        -- pending: recorded before it is sent (a run that died meanwhile leaves it so); the
        -- receiver's outcomes (receiver/control.py); unreachable: the receiver did not answer
        status in ('pending', 'done', 'refused', 'not_connected', 'timeout', 'failed', 'unreachable')
    ),
    qn_rtn text,                          -- QnRtn of the 9011 answer (table 7: 1 ready to execute)
    exe_rtn text,                         -- ExeRtn of the 9012 result (table 6: 1 success)
    detail text,                          -- the receiver's or the transport's message, if any
    requested_by text not null,           -- airflow / cli
    check (end_hour >= begin_hour)
);
comment on table audit.hj212_history_request is 'HJ 212 补传请求 / every history request sent to a device for its missing hours, with the answer (QnRtn, ExeRtn); filled or not: marts.hj212_gap_request';
create index if not exists hj212_history_request_device on audit.hj212_history_request (device_mn, begin_hour);

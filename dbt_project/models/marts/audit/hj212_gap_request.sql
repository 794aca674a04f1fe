-- HJ 212 补传审计: every device-hour the gap task asked a device for (one row per request and
-- hour of its BeginTime..EndTime, HJ 212-2017 C.21), the answer (QnRtn table 7, ExeRtn table 6)
-- and whether the hour has since got its hourly value in int_hj212__hourly (any factor, from
-- the device's CN=2061 packet or its minutes: the test device_day_coverage counts received
-- hours by), with the load batch that brought it and when that batch was loaded.
-- filled_after_request: the batch was loaded after the request was sent (the replay, or a late
-- file); an hour filled before it (a race with a late file) shows false.
with

requests as (
    select * from {{ ref('stg_hj212__history_request') }}
),

requested_hours as (
    select
        r.*,
        h.hour_start
    from requests as r
    cross join lateral generate_series(r.begin_hour, r.end_hour, interval '1 hour') as h (hour_start)
),

arrived as (
    select
        q.request_id,
        q.hour_start,
        min(x.batch_id) as filled_by_batch_id
    from requested_hours as q
    inner join {{ ref('int_hj212__hourly') }} as x
        on
            q.device_mn = x.device_mn
            and x.obs_date = (q.hour_start at time zone '{{ var("local_timezone") }}')::date
            and q.hour_start = x.hour_start
    group by q.request_id, q.hour_start
)

select
    q.request_id::bigint as request_id,
    q.device_mn::text as device_mn,
    q.hour_start::timestamptz as hour_start,
    (q.hour_start at time zone '{{ var("local_timezone") }}')::timestamp as hour_start_local,
    q.command_code::text as command_code,
    q.begin_hour::timestamptz as begin_hour,
    q.end_hour::timestamptz as end_hour,
    q.requested_at::timestamptz as requested_at,
    q.answered_at::timestamptz as answered_at,
    q.requested_by::text as requested_by,
    q.request_qn::text as request_qn,
    q.request_status::text as request_status,
    q.qn_rtn::text as qn_rtn,
    q.exe_rtn::text as exe_rtn,
    q.request_detail::text as request_detail,
    (a.filled_by_batch_id is not null)::boolean as is_filled,
    a.filled_by_batch_id::bigint as filled_by_batch_id,
    b.finished_at::timestamptz as filled_at,
    coalesce(b.finished_at > q.requested_at, false)::boolean as filled_after_request
from requested_hours as q
left join arrived as a
    on q.request_id = a.request_id and q.hour_start = a.hour_start
left join {{ source('audit', 'load_batch') }} as b on a.filled_by_batch_id = b.batch_id

-- HJ 212 补传请求 (staging): one row per history request sent to a device (audit, migration 0019).
with

source as (
    select * from {{ source('audit', 'hj212_history_request') }}
),

renamed as (
    select
        request_id,
        requested_at,
        answered_at,
        device_mn,
        cn as command_code,
        begin_hour,
        end_hour,
        missing_hours,
        qn as request_qn,
        status as request_status,
        qn_rtn,
        exe_rtn,
        detail as request_detail,
        requested_by
    from source
)

select * from renamed

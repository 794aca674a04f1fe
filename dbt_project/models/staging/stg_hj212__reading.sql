-- HJ 212 监测数据 (staging): one row per reading key, the first sighting (raw.hj212_reading).
-- Long form: device, command (CN), DataTime, pollutant code, statistic, value, data flag.
-- Validity (HJ 212-2017 table 8, RULES.md s4): only flag N counts as valid; a value without a
-- flag is not valid either (the standard requires one for every monitored factor).
with

source as (
    select * from {{ source('hj212', 'hj212_reading') }}
),

renamed as (
    select
        mn as device_mn,
        st as system_code,
        cn as command_code,
        case cn
            when '2011' then 'realtime'
            when '2051' then 'minute'
            when '2061' then 'hour'
            when '2031' then 'day'
        end as data_interval,
        data_time,
        data_time at time zone '{{ var("local_timezone") }}' as data_time_local,
        pollutant_code,
        source_code as sent_code,
        statistic,
        value,
        flag as data_flag,
        coalesce(flag = 'N', false) as is_valid,
        qn as packet_qn,
        batch_id,
        source_file,
        line_number,
        packet_seq
    from source
)

select * from renamed

-- HJ 212 小时值 per device, pollutant code and hour (hour START, as DataTime of CN=2061).
-- Source of each hourly value:
--   hourly_packet: the device's own hourly packet (CN=2061, statistic avg), valid if flagged N;
--   derived_from_minutes: where the device sent no hourly value for that hour and pollutant,
--     the mean of its valid (flag N) minute values (CN=2051, avg), valid with at least 45 valid
--     minutes (HJ 212-2017 Appendix D formula 24, RULES.md s5; minutes = valid minute packets x
--     the minute interval, var hj212_minute_interval_minutes, default 1).
-- NOx where a device sends only NO (a21003) and NO2 (a21004): NO * 46/30 + NO2 (Appendix D
-- formula 21, molar masses 46 and 30), valid if both are.
-- Converted concentration (折算, Appendix D formula 28, RULES.md s5):
--   C_conv = C * (21 - O2_ref) / (21 - O2_measured), O2_ref from the device registry,
--   O2_measured the valid hourly a19001 of the same device-hour (null if none).
-- Flow: a00000 avg in m3/s (HJ 212-2017 table B.2 unit), as m3/h (var hj212_flow_unit 'm3/h'
-- when devices send m3/h). Emission (kg/h) = C (mg/m3) * Q (m3/h) * 1e-6 (formula 33).
-- Day validity: at least 20 valid hours in the local day (Appendix D formula 25).
-- Incremental: a run re-derives only the device-days (local days, Asia/Shanghai) that received a
-- reading since the last run (late minutes, a late hourly packet, a replay that fills a gap), from
-- all the readings of those days, since an hour's valid minutes and a day's valid hours are decided
-- over the whole hour and day; every row carries raw_batch_watermark. The converted values read the
-- device registry's reference O2: when the registry is reloaded, the table is emptied first and
-- rebuilt (reset_on_reference_change; registry_batch_id is the registry load behind every row).
{{ config(**watermarked_incremental(
    ['device_mn', 'pollutant_code', 'hour_start'],
    extra_indexes=[['device_mn', 'obs_date'], ['obs_date'], ['hour_start_local'], ['registry_batch_id']],
    pre_hook="{{ reset_on_reference_change('device_registry', 'hj212', 'registry_batch_id') }}",
)) }}
{% set min_valid_minutes = var('hj212_min_valid_minutes_per_hour', 45) %}
{% set minute_interval = var('hj212_minute_interval_minutes', 1) %}
{% set flow_to_m3_h = 1 if var('hj212_flow_unit', 'm3/s') == 'm3/h' else 3600 %}
{% set converted_codes = ['a34013', 'a21026', 'a21002', 'a21003', 'a21004', 'a21005'] %}
with

{{ rows_of_units_changed_since_last_run(
    ref('stg_hj212__reading'), ['device_mn'],
    span=('data_time', "date_trunc('day', data_time, '" ~ var('local_timezone') ~ "')", '1 day'),
    filter="command_code in ('2051', '2061') and statistic in ('avg', 'zs_avg')",
) }}

readings as (
    select * from source
    where command_code in ('2051', '2061') and statistic in ('avg', 'zs_avg')
),

hourly_packets as (
    select
        device_mn,
        pollutant_code,
        data_time as hour_start,
        max(value) filter (where statistic = 'avg') as measured_value,
        max(value) filter (where statistic = 'zs_avg') as device_converted_value,
        max(data_flag) filter (where statistic = 'avg') as data_flag,
        max(batch_id) filter (where statistic = 'avg') as batch_id,
        max(source_file) filter (where statistic = 'avg') as source_file,
        max(line_number) filter (where statistic = 'avg') as line_number,
        max(packet_qn) filter (where statistic = 'avg') as packet_qn
    from readings
    where command_code = '2061'
    group by device_mn, pollutant_code, data_time
    having count(*) filter (where statistic = 'avg') > 0
),

minute_hours as (
    select
        device_mn,
        pollutant_code,
        date_trunc('hour', data_time) as hour_start,
        count(*) as minute_values,
        (count(*) filter (where is_valid) * {{ minute_interval }})::integer as valid_minutes,
        avg(value) filter (where is_valid) as measured_value,
        max(batch_id) as batch_id,
        (array_agg(source_file order by data_time))[1] as source_file,
        (array_agg(line_number order by data_time))[1] as line_number
    from readings
    where command_code = '2051' and statistic = 'avg'
    group by device_mn, pollutant_code, date_trunc('hour', data_time)
),

combined as (
    select
        coalesce(h.device_mn, m.device_mn) as device_mn,
        coalesce(h.pollutant_code, m.pollutant_code) as pollutant_code,
        coalesce(h.hour_start, m.hour_start) as hour_start,
        case when h.device_mn is not null then 'hourly_packet' else 'derived_from_minutes' end as value_source,
        case when h.device_mn is not null then h.measured_value else m.measured_value end as measured_value,
        h.device_converted_value,
        case
            when h.device_mn is not null then h.data_flag
            when m.valid_minutes >= {{ min_valid_minutes }} then 'N'
        end as data_flag,
        m.valid_minutes,
        m.minute_values,
        case
            when h.device_mn is not null then coalesce(h.data_flag = 'N', false)
            else m.valid_minutes >= {{ min_valid_minutes }}
        end as is_valid,
        coalesce(h.batch_id, m.batch_id) as batch_id,
        coalesce(h.source_file, m.source_file) as source_file,
        coalesce(h.line_number, m.line_number) as line_number,
        h.packet_qn
    from hourly_packets as h
    full outer join minute_hours as m
        on
            h.device_mn = m.device_mn
            and h.pollutant_code = m.pollutant_code
            and h.hour_start = m.hour_start
),

-- one row per device-hour with the NO / NO2 / NOx presence (a pivot: no self-join)
device_hours as (
    select
        device_mn,
        hour_start,
        bool_or(pollutant_code = 'a21002') as has_nox,
        max(measured_value) filter (where pollutant_code = 'a21003') as no_value,
        max(measured_value) filter (where pollutant_code = 'a21004') as no2_value,
        bool_and(is_valid) filter (where pollutant_code in ('a21003', 'a21004')) as no_no2_valid,
        count(*) filter (where pollutant_code in ('a21003', 'a21004')) as no_no2_values,
        min(valid_minutes) filter (where pollutant_code in ('a21003', 'a21004')) as no_no2_valid_minutes,
        min(minute_values) filter (where pollutant_code in ('a21003', 'a21004')) as no_no2_minute_values,
        max(batch_id) filter (where pollutant_code in ('a21003', 'a21004')) as no_batch_id,
        max(source_file) filter (where pollutant_code = 'a21003') as no_source_file,
        max(line_number) filter (where pollutant_code = 'a21003') as no_line_number,
        max(packet_qn) filter (where pollutant_code = 'a21003') as no_packet_qn
    from combined
    group by device_mn, hour_start
),

nox_from_no as (
    select
        device_mn,
        'a21002' as pollutant_code,
        hour_start,
        'no_plus_no2' as value_source,
        no_value * 46 / 30 + no2_value as measured_value,
        null::numeric as device_converted_value,
        case when no_no2_valid then 'N' end as data_flag,
        no_no2_valid_minutes as valid_minutes,
        no_no2_minute_values as minute_values,
        no_no2_valid as is_valid,
        no_batch_id as batch_id,
        no_source_file as source_file,
        no_line_number as line_number,
        no_packet_qn as packet_qn
    from device_hours
    where not has_nox and no_value is not null and no2_value is not null and no_no2_values = 2
),

hourly as (
    select * from combined
    union all
    select * from nox_from_no
),

-- O2 and flow of the same device-hour beside every value (window, not a join)
with_device_hour as (
    select
        *,
        max(measured_value) filter (where pollutant_code = 'a19001' and is_valid) over device_hour
            as o2_measured_pct,
        max(measured_value) filter (where pollutant_code = 'a00000' and is_valid) over device_hour
        * {{ flow_to_m3_h }} as flow_m3_h
    from hourly
    window device_hour as (partition by device_mn, hour_start)
),

enriched as (
    select
        h.device_mn,
        h.pollutant_code,
        h.hour_start,
        h.hour_start at time zone '{{ var("local_timezone") }}' as hour_start_local,
        (h.hour_start at time zone '{{ var("local_timezone") }}')::date as obs_date,
        h.value_source,
        h.measured_value,
        h.device_converted_value,
        h.data_flag,
        h.valid_minutes,
        h.minute_values,
        h.is_valid,
        h.o2_measured_pct,
        d.o2_ref_pct,
        case
            when
                h.pollutant_code in ('{{ converted_codes | join("', '") }}')
                and d.o2_ref_pct is not null
                and h.o2_measured_pct < 21
                then h.measured_value * (21 - d.o2_ref_pct) / (21 - h.o2_measured_pct)
        end as converted_value,
        h.flow_m3_h,
        case
            when h.pollutant_code in ('{{ converted_codes | join("', '") }}')
                then h.measured_value * h.flow_m3_h * 0.000001
        end as emission_kg_h,
        h.batch_id,
        h.source_file,
        h.line_number,
        h.packet_qn
    from with_device_hour as h
    left join {{ ref('stg_hj212__device') }} as d on h.device_mn = d.device_mn
)

select
    *,
    (count(*) filter (where is_valid) over (
        partition by device_mn, pollutant_code, obs_date
    ))::integer as day_valid_hours,
    count(*) filter (where is_valid) over (
        partition by device_mn, pollutant_code, obs_date
    ) >= {{ var('min_valid_hours_per_day', 20) }} as is_day_valid,
    {{ raw_watermark(source('hj212', 'hj212_reading')) }} as raw_batch_watermark,
    {{ raw_watermark(source('hj212', 'device_registry')) }} as registry_batch_id
from enriched

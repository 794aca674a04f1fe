-- 施工扬尘 (construction dust) per site and monthly list (stg_forms__construction_site, current
-- version of each month's list):
-- - monitor coverage: the site's dust monitor MN is a registered dust device (ST=39) and sent
--   PM10 (a34002) that month: monitored / registered_no_data / mn_not_registered / no_monitor;
-- - PM10 hours of the month (int_hj212__hourly; valid = flag N or >= 45 valid minutes, HJ
--   212-2017 Appendix D) and exceedance hours: valid hours above
--   var('dust_pm10_hourly_limit_ug_m3') (the city's alarm threshold, verify);
-- - inspections that month against the seven 100 % measures (stg_forms__site_inspection): a
--   measure checked and not met is a failure; an inspection is compliant when no measure failed;
-- - "1+4": a leader and four supervisors (housing, ecology-environment, urban management,
--   township) named (ingest/forms/construction_site.yaml; verify the four against the city's scheme).
{% set measures = {
    'hoarding': '周边围挡', 'stockpile_cover': '物料堆放覆盖', 'wet_earthworks': '土方开挖湿法作业',
    'hardened_roads': '路面硬化', 'vehicle_washing': '出入车辆清洗',
    'sealed_transport': '渣土车辆密闭运输', 'online_monitoring': '在线监测和视频监控'} %}
{% set supervisors = {
    'responsible_leader': '包联领导', 'supervisor_housing': '住建部门',
    'supervisor_environment': '生态环境部门', 'supervisor_urban': '城管部门',
    'supervisor_township': '乡镇（街道）'} %}
-- Incremental: a run recomputes whole months (every listed site of the month): the months with a
-- PM10 hour rebuilt in int_hj212__hourly since the last run, and the months of the lists not built
-- yet. A reload of the device registry or a new version of the site list or of the inspection
-- records empties the table first and rebuilds it (reset_on_reference_change).
{{ config(**watermarked_incremental(
    ['report_month', 'site_code'],
    pre_hook=[
        "{{ reset_on_reference_change('device_registry', 'hj212', 'registry_batch_id') }}",
        "{{ reset_on_reference_change(column='batch_id', relation=ref('stg_forms__construction_site')) }}",
        "{{ reset_on_reference_change(column='inspection_batch_id', relation=ref('stg_forms__site_inspection')) }}",
    ],
)) }}
with

months as (
    select distinct report_month
    from {{ ref('stg_forms__construction_site') }}
    {% if is_incremental() %}
        where
            report_month in (
                select date_trunc('month', changed.obs_date)::date
                from {{ ref('int_hj212__hourly') }} as changed
                where changed.pollutant_code = 'a34002' and changed.{{ new_since_last_run() }}
            )
            or report_month not in (select t.report_month from {{ this }} as t)
    {% endif %}
),

sites as (
    select s.*
    from {{ ref('stg_forms__construction_site') }} as s
    inner join months as m on s.report_month = m.report_month
),

dust_devices as (
    select * from {{ ref('stg_hj212__device') }}
    where device_kind = 'dust'
),

pm10 as (
    select
        h.device_mn,
        date_trunc('month', h.obs_date)::date as report_month,
        count(*) as received_hours,
        count(*) filter (where h.is_valid) as valid_hours,
        count(*) filter (
            where h.is_valid and h.measured_value > {{ var('dust_pm10_hourly_limit_ug_m3', 150) }}
        ) as exceedance_hours,
        max(h.measured_value) filter (where h.is_valid) as max_pm10,
        avg(h.measured_value) filter (where h.is_valid) as mean_pm10,
        array_agg(distinct h.batch_id order by h.batch_id) as batch_ids
    from {{ ref('int_hj212__hourly') }} as h
    inner join months as m
        on h.obs_date >= m.report_month and h.obs_date < m.report_month + interval '1 month'
    where h.pollutant_code = 'a34002'
    group by h.device_mn, date_trunc('month', h.obs_date)
),

inspections as (
    select
        site_code,
        report_month,
        count(*) as inspections,
        count(*) filter (
            where
            {% for m in measures %}coalesce({{ m }}, true){% if not loop.last %} and {% endif %}{% endfor %}
        ) as compliant_inspections,
        (
            {% for m in measures %}count({{ m }}){% if not loop.last %} + {% endif %}{% endfor %}
        ) as measure_checks,
        (
            {% for m in measures %}count(*) filter (where not {{ m }}){% if not loop.last %} + {% endif %}{% endfor %}
        ) as measure_failures,
        array_to_string(array[
            {% for m, label in measures.items() %}
                case when bool_or(not {{ m }}) then '{{ label }}' end{% if not loop.last %},{% endif %}
            {% endfor %}
        ], '、') as failed_measures,
        max(inspection_date) as last_inspection_date,
        array_agg(batch_id::text || ':' || sheet || ':' || source_row order by inspection_date)
            as inspection_rows
    from {{ ref('stg_forms__site_inspection') }}
    where report_month in (select m.report_month from months as m)
    group by site_code, report_month
)

select
    s.report_month::date as report_month,
    s.site_code::text as site_code,
    s.project_name::text as project_name,
    s.site_type::text as site_type,
    s.county::text as county,
    s.contractor::text as contractor,
    s.dust_monitor_mn::text as dust_monitor_mn,
    (d.device_mn is not null)::boolean as monitor_registered,
    case
        when s.dust_monitor_mn is null then 'no_monitor'
        when d.device_mn is null then 'mn_not_registered'
        when coalesce(p.received_hours, 0) = 0 then 'registered_no_data'
        else 'monitored'
    end::text as monitor_coverage,
    coalesce(p.received_hours, 0)::integer as pm10_received_hours,
    coalesce(p.valid_hours, 0)::integer as pm10_valid_hours,
    {{ var('dust_pm10_hourly_limit_ug_m3', 150) }}::numeric as pm10_limit_ug_m3,
    coalesce(p.exceedance_hours, 0)::integer as pm10_exceedance_hours,
    p.mean_pm10::numeric as pm10_mean_ug_m3,
    p.max_pm10::numeric as pm10_max_ug_m3,
    coalesce(i.inspections, 0)::integer as inspections,
    coalesce(i.compliant_inspections, 0)::integer as compliant_inspections,
    coalesce(i.measure_checks, 0)::integer as measure_checks,
    coalesce(i.measure_failures, 0)::integer as measure_failures,
    round(100.0 * (i.measure_checks - i.measure_failures) / nullif(i.measure_checks, 0), 2)::numeric
        as measure_compliance_pct,
    nullif(i.failed_measures, '')::text as failed_measures,
    i.last_inspection_date::date as last_inspection_date,
    (
        {% for f in supervisors %}(nullif(trim(s.{{ f }}), '') is not null)::integer{% if not loop.last %} + {% endif %}{% endfor %}
    )::integer as supervision_named,
    (
        {% for f in supervisors %}nullif(trim(s.{{ f }}), '') is not null{% if not loop.last %} and {% endif %}{% endfor %}
    )::boolean as supervision_complete,
    nullif(array_to_string(array[
        {% for f, label in supervisors.items() %}
            case when nullif(trim(s.{{ f }}), '') is null then '{{ label }}' end{% if not loop.last %},{% endif %}
        {% endfor %}
    ], '、'), '')::text as supervision_missing,
    s.batch_id::bigint as batch_id,
    s.source_file::text as source_file,
    s.sheet::text as sheet,
    s.source_row::integer as source_row,
    coalesce(i.inspection_rows, '{}')::text[] as inspection_rows,
    coalesce(p.batch_ids, '{}')::bigint[] as pm10_batch_ids,
    {{ raw_watermark(ref('stg_forms__site_inspection')) }}::bigint as inspection_batch_id,
    {{ raw_watermark(source('hj212', 'device_registry')) }}::bigint as registry_batch_id,
    {{ raw_watermark(ref('int_hj212__hourly'), 'raw_batch_watermark') }}::bigint as raw_batch_watermark
from sites as s
left join dust_devices as d on s.dust_monitor_mn = d.device_mn
left join pm10 as p on s.dust_monitor_mn = p.device_mn and s.report_month = p.report_month
left join inspections as i on s.site_code = i.site_code and s.report_month = i.report_month

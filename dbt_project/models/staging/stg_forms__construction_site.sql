-- 施工工地扬尘管控清单 (ingest/forms/construction_site.yaml), current version: one row per site
-- per monthly list. Floor area in 万平方米 (平方米 headers converted at load).
{{ stg_form('construction_site', [
    "to_date(period, 'YYYY-MM') as report_month",
    'record.site_code', 'record.project_name', 'record.site_type', 'record.county',
    'record.builder', 'record.contractor', 'record.floor_area::numeric as floor_area_10k_m2',
    'record.responsible_leader', 'record.supervisor_housing', 'record.supervisor_environment',
    'record.supervisor_urban', 'record.supervisor_township', 'record.dust_monitor_mn',
    'record.start_date::date', 'record.planned_completion::date',
]) }}

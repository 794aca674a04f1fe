-- 工地“七个百分之百”检查记录 (ingest/forms/site_inspection.yaml), current version: one row per
-- inspection of a site; each measure true (落实) / false (未落实) / null (not checked).
{{ stg_form('site_inspection', [
    "to_date(period, 'YYYY-MM') as report_month",
    'record.site_code', 'record.project_name', 'record.county', 'record.inspection_date::date',
    'record.inspector', 'record.hoarding::boolean', 'record.stockpile_cover::boolean',
    'record.wet_earthworks::boolean', 'record.hardened_roads::boolean',
    'record.vehicle_washing::boolean', 'record.sealed_transport::boolean',
    'record.online_monitoring::boolean', 'record.findings', 'record.rectification_deadline::date',
    'record.rectification_status',
]) }}

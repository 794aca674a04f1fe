-- 年度目标 (ingest/forms/annual_target.yaml), current version: one row per year, area (全市 or a
-- county) and indicator. Indicator codes match raw.ref_annual_target (pm2_5_annual_mean...),
-- plus coal_consumption_total (万吨: the 2180万吨 cap).
{{ stg_form('annual_target', [
    'period::integer as target_year',
    'record.county as area', 'record.indicator', 'record.target_value::numeric', 'record.unit',
    'record.direction', 'record.baseline::numeric as baseline_value',
    'record.source as target_source',
]) }}

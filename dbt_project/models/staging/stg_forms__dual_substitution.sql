-- 清洁取暖“双替代”改造进度 (ingest/forms/dual_substitution.yaml), current version: one row per
-- county, township, village and mode (气代煤 / 电代煤) per month.
{{ stg_form('dual_substitution', [
    "to_date(period, 'YYYY-MM') as report_month",
    'scope as reporting_county',
    'record.county', 'record.township', 'record.village', 'record.mode as substitution_mode',
    'record.planned_households::integer', 'record.completed_households::integer',
    'record.completion_rate::numeric as completion_rate_pct', 'record.acceptance_date::date',
]) }}

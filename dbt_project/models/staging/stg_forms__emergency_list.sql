-- 重污染天气应急减排清单 (ingest/forms/emergency_list.yaml), current version: one row per
-- enterprise and production line of the latest list of each county. `mns` are the CEMS devices
-- (HJ 212 MN) of the line: the link to the online-monitoring packets.
{{ stg_form('emergency_list', [
    'period::integer as list_year',
    'scope as reporting_county',
    'record.enterprise_name', 'record.credit_code', 'record.county', 'record.industry',
    'record.performance_grade', 'record.production_line', 'record.outlets',
    "case when jsonb_typeof(record -> 'mn') = 'array'
        then array(select jsonb_array_elements_text(record -> 'mn')) else '{}'::text[] end as mns",
    'record.yellow_measures', 'record.orange_measures', 'record.red_measures',
]) }}

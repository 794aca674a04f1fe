-- 溯源 of marts.inspection_cadence: the assignment row (领导分包) of each leader, county and month
-- and the 领导分包督查 findings counted in it (the mart's own condition).
--   select * from lineage.inspection_cadence_source where lineage_key = :lineage_key
{% set counted_findings = ref('inspection_cadence') ~ ' as c inner join ' ~ ref('inspection_finding')
    ~ " as f on f.inspection_type = '领导分包督查' and c.leader_name = f.leader and c.county = f.county"
    ~ " and c.month = date_trunc('month', f.inspection_date)::date" %}
{{ form_row_lineage('inspection_cadence', ref('inspection_cadence'), also=[(counted_findings, 'c.lineage_key', 'f')]) }}

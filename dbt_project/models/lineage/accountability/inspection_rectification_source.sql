-- 溯源 of marts.inspection_rectification: the findings of the county and month.
--   select * from lineage.inspection_rectification_source where lineage_key = :lineage_key
{{ form_row_lineage('inspection_rectification', ref('inspection_finding'), "concat_ws('|', report_month, county)") }}

-- 溯源 of marts.inspection_finding: the row of the 督查问题清单 behind each finding.
--   select * from lineage.inspection_finding_source where lineage_key = :lineage_key
{{ form_row_lineage('inspection_finding', ref('inspection_finding')) }}

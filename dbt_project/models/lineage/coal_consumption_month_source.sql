-- 溯源 of marts.coal_consumption_month and coal_unit_month: for a month, the workbook rows behind
-- the month's figure (contributes 'month') and behind its year to date (the same year's earlier
-- months, contributes 'ytd').
--   select * from lineage.coal_consumption_month_source where report_month = :month
select
    m.report_month,
    case when u.report_month = m.report_month then 'month' else 'ytd' end as contributes,
    u.credit_code,
    u.report_month as row_month,
    u.coal_tonnes,
    f.source_file,
    f.sheet,
    f.source_row,
    f.batch_id,
    f.raw_cells
from {{ ref('coal_consumption_month') }} as m
inner join {{ ref('coal_unit_month') }} as u
    on
        extract(year from u.report_month) = m.report_year
        and m.report_month >= u.report_month
inner join {{ ref('form_source_row') }} as f
    on u.batch_id = f.batch_id and u.sheet = f.sheet and u.source_row = f.source_row

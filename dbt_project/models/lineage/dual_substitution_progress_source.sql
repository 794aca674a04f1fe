-- 溯源 of marts.dual_substitution_progress: for a mart row (report_month, county,
-- substitution_mode), the village rows of the county workbooks behind it.
--   select * from lineage.dual_substitution_progress_source
--   where report_month = :month and county = :county and substitution_mode = :mode
select
    p.report_month,
    p.county,
    p.substitution_mode,
    f.source_file,
    f.sheet,
    f.source_row,
    f.batch_id,
    f.raw_cells,
    f.record
from {{ ref('dual_substitution_progress') }} as p
cross join lateral unnest(p.source_rows) as k
inner join {{ ref('form_source_row') }} as f
    on
        split_part(k, ':', 1)::bigint = f.batch_id
        and split_part(k, ':', 2) = f.sheet
        and split_part(k, ':', 3)::integer = f.source_row

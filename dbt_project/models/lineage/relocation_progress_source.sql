-- 溯源 of marts.relocation_progress (and relocation_summary, by report_month): the ledger row of
-- each project.
--   select * from lineage.relocation_progress_source where report_month = :month and project_no = :no
select
    p.report_month,
    p.project_no,
    f.source_file,
    f.sheet,
    f.source_row,
    f.batch_id,
    f.raw_cells,
    f.record
from {{ ref('relocation_progress') }} as p
inner join {{ ref('form_source_row') }} as f
    on p.batch_id = f.batch_id and p.sheet = f.sheet and p.source_row = f.source_row

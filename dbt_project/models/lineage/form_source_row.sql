-- 溯源: every row of every bureau workbook version (raw.form_record), with whether it is in the
-- current version (stg_forms__record) and the file's load (audit.load_batch). Mart rows on the
-- forms carry (batch_id, sheet, source_row): the row here with the same three.
select
    r.form_id,
    r.period,
    r.scope,
    r.batch_id,
    r.source_file,
    r.sheet,
    r.row_number as source_row,
    r.record_key,
    r.record,
    r.raw_cells,
    s.superseded_by_batch is null as is_current,
    s.superseded_by_batch,
    b.file_sha256,
    b.started_at as loaded_at
from {{ source('forms', 'form_record') }} as r
inner join {{ source('forms', 'form_submission') }} as s
    on r.batch_id = s.batch_id and r.period = s.period and r.scope = s.scope
inner join {{ source('audit', 'load_batch') }} as b on r.batch_id = b.batch_id

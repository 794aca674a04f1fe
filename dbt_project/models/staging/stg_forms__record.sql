-- Current version of every bureau form: the rows of the latest loaded workbook for each
-- (form, period, scope). A re-sent workbook supersedes the earlier one for the periods and
-- scope it reports; raw.form_record keeps every version (raw.form_submission says which is which).
with

submission as (
    select
        batch_id,
        form_id,
        period,
        scope,
        loaded_at,
        row_number() over (partition by form_id, period, scope order by batch_id desc) as version_rank,
        count(*) over (partition by form_id, period, scope) as submitted_versions
    from {{ source('forms', 'form_submission') }}
),

current_submission as (
    select * from submission
    where version_rank = 1
)

select
    r.form_id,
    r.period,
    r.scope,
    r.record_key,
    r.record,
    r.raw_cells,
    r.batch_id,
    r.source_file,
    r.sheet,
    r.row_number,
    c.loaded_at,
    c.submitted_versions
from {{ source('forms', 'form_record') }} as r
inner join current_submission as c
    on
        r.batch_id = c.batch_id
        and r.form_id = c.form_id
        and r.period = c.period
        and r.scope = c.scope

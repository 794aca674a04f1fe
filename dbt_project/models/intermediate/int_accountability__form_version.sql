-- Every version of every accountability form row (重点任务台账, 督查问题清单, 约谈问责, 领导分包):
-- raw.form_record joined to its raw.form_submission, superseded versions included, so the
-- history of a task's status can be told from what each workbook said and when it was loaded.
-- is_current follows stg_forms__record: the latest loaded batch of a (form, period, scope).
with

submission as (
    select
        batch_id,
        form_id,
        period,
        scope,
        loaded_at,
        superseded_by_batch,
        superseded_at,
        row_number() over (partition by form_id, period, scope order by batch_id desc) = 1 as is_current
    from {{ source('forms', 'form_submission') }}
    where form_id in ('key_task', 'inspection', 'accountability', 'leader_district')
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
    r.row_number as source_row,
    s.loaded_at,
    s.superseded_by_batch,
    s.superseded_at,
    s.is_current
from {{ source('forms', 'form_record') }} as r
inner join submission as s
    on
        r.batch_id = s.batch_id
        and r.form_id = s.form_id
        and r.period = s.period
        and r.scope = s.scope

-- Every version of every accountability form row (重点任务台账, 督查问题清单, 约谈问责, 领导分包):
-- raw.form_record joined to its raw.form_submission, superseded versions included, so the
-- history of a task's status can be told from what each workbook said and when it was loaded.
-- is_current as stg_forms__record: the latest loaded batch of a (form, period, scope) (macro
-- form_record_versions, macros/forms.sql).
with

versions as (
    {{ form_record_versions() }}
)

select
    form_id,
    period,
    scope,
    record_key,
    record,
    raw_cells,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    loaded_at,
    superseded_by_batch,
    superseded_at,
    version_rank = 1 as is_current
from versions
where form_id in ('key_task', 'inspection', 'accountability', 'leader_district')

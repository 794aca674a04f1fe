-- Current version of every bureau form: the rows of the latest loaded workbook for each
-- (form, period, scope). A re-sent workbook supersedes the earlier one for the periods and
-- scope it reports; raw.form_record keeps every version (raw.form_submission says which is which).
-- The versions and their ranking: macro form_record_versions (macros/forms.sql), shared with
-- int_accountability__form_version.
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
    row_number,
    loaded_at,
    submitted_versions
from versions
where version_rank = 1

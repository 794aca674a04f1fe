-- 督查问题与整改: one row per finding of the current monthly lists (督查问题清单), with its
-- rectification as the list reports it on status_as_of = the earlier of the report month's
-- last day and the day the list was loaded (a list sent mid-month speaks for that day).
-- rectified: status 已整改 (with its date); on time: rectified on or before the deadline;
-- overdue: reported 逾期未整改, or not rectified and the deadline before status_as_of.
-- Repeat finding: an earlier finding (by inspection date, then month and number) in the same
-- county at the same place with the same problem (county, location, finding text as normalised
-- by the loader); occurrence_no counts them, first_issue_no names the first.
-- Lineage: batch_id, source_file, sheet, source_row of the list row.
with

findings as (
    select
        f.*,
        least(
            (f.report_month + interval '1 month' - interval '1 day')::date,
            (v.loaded_at at time zone '{{ var("local_timezone") }}')::date
        ) as status_as_of
    from {{ ref('stg_forms__inspection') }} as f
    inner join {{ source('forms', 'form_submission') }} as v
        on
            f.batch_id = v.batch_id
            and v.form_id = 'inspection'
            and v.period = to_char(f.report_month, 'YYYY-MM')
),

judged as (
    select
        f.*,
        f.rectification_status = '已整改' as is_rectified,
        row_number() over repeat_w as occurrence_no,
        first_value(f.issue_no) over repeat_w as first_issue_no,
        first_value(f.report_month) over repeat_w as first_report_month
    from findings as f
    window repeat_w as (
        partition by f.county, coalesce(f.location, ''), f.finding
        order by f.inspection_date, f.report_month, f.issue_no
    )
)

select
    report_month::date as report_month,
    issue_no::text as issue_no,
    inspection_date::date as inspection_date,
    inspection_type::text as inspection_type,
    leader::text as leader,
    county::text as county,
    location::text as location,
    finding::text as finding,
    responsible_unit::text as responsible_unit,
    rectification_deadline::date as rectification_deadline,
    rectification_status::text as rectification_status,
    rectified_date::date as rectified_date,
    status_as_of::date as status_as_of,
    is_rectified::boolean as is_rectified,
    coalesce(is_rectified and rectified_date <= rectification_deadline, false)::boolean as rectified_on_time,
    coalesce(
        rectification_status = '逾期未整改'
        or (not is_rectified and rectification_deadline < status_as_of),
        false
    )::boolean as is_overdue,
    (case
        when not is_rectified and rectification_deadline < status_as_of
            then status_as_of - rectification_deadline
        when is_rectified and rectified_date > rectification_deadline
            then rectified_date - rectification_deadline
    end)::integer as days_late,
    (case when is_rectified then rectified_date - inspection_date end)::integer as days_to_rectify,
    (occurrence_no > 1)::boolean as is_repeat,
    occurrence_no::integer as occurrence_no,
    first_issue_no::text as first_issue_no,
    first_report_month::date as first_report_month,
    batch_id::bigint as batch_id,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row,
    concat_ws('|', report_month, issue_no)::text as lineage_key
from judged

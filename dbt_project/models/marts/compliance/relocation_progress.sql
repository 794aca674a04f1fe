-- 退城入园 (relocation of urban enterprises into parks) per project and monthly ledger
-- (stg_forms__relocation, current version): each milestone against its plan as of the ledger's
-- month end (or var('compliance_as_of_date') when set): done / overdue (planned date passed,
-- not done) / on_schedule / no_plan (待定). A milestone is done when its completion date is
-- filled or the status says so (已关停: old site closed; 已投产: both).
{% set as_of = var('compliance_as_of_date', none) %}
with

ledger as (
    select
        *,
        {% if as_of %}'{{ as_of }}'::date{% else %}(report_month + interval '1 month - 1 day')::date{% endif %}
            as as_of_date
    from {{ ref('stg_forms__relocation') }}
),

milestones as (
    select
        *,
        closure_done is not null or status in ('已关停', '已投产') as is_closed,
        production_done is not null or status = '已投产' as is_producing
    from ledger
),

states as (
    select
        *,
        case
            when is_closed then 'done'
            when closure_planned is null then 'no_plan'
            when closure_planned < as_of_date then 'overdue'
            else 'on_schedule'
        end as closure_state,
        case
            when is_producing then 'done'
            when production_planned is null then 'no_plan'
            when production_planned < as_of_date then 'overdue'
            else 'on_schedule'
        end as production_state
    from milestones
)

select
    report_month::date as report_month,
    project_no::text as project_no,
    enterprise_name::text as enterprise_name,
    credit_code::text as credit_code,
    county::text as county,
    industry::text as industry,
    target_park::text as target_park,
    status::text as status,
    as_of_date::date as as_of_date,
    agreement_date::date as agreement_date,
    closure_planned::date as closure_planned,
    closure_done::date as closure_done,
    closure_state::text as closure_state,
    case when closure_state = 'overdue' then as_of_date - closure_planned end::integer
        as closure_days_overdue,
    production_planned::date as production_planned,
    production_done::date as production_done,
    production_state::text as production_state,
    case when production_state = 'overdue' then as_of_date - production_planned end::integer
        as production_days_overdue,
    case
        when production_state = 'done' then 'completed'
        when 'overdue' in (closure_state, production_state) then 'behind'
        when status = '未启动' then 'not_started'
        else 'on_schedule'
    end::text as progress,
    batch_id::bigint as batch_id,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row
from states

-- 溯源 of marts.inspection_cadence: the assignment row (领导分包) of each leader, county and month
-- and the 领导分包督查 findings counted in it.
--   select * from lineage.inspection_cadence_source where lineage_key = :lineage_key
with

cadence_rows as (
    select
        lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from {{ ref('inspection_cadence') }}
    union all
    select
        c.lineage_key,
        'raw.form_record' as source_table,
        f.batch_id,
        f.source_file,
        f.sheet,
        f.source_row
    from {{ ref('inspection_cadence') }} as c
    inner join {{ ref('inspection_finding') }} as f
        on
            f.inspection_type = '领导分包督查'
            and c.leader_name = f.leader
            and c.county = f.county
            and c.month = date_trunc('month', f.inspection_date)::date
)

{{ lineage_source_records('inspection_cadence', 'cadence_rows') }}

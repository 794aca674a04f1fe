-- 批次对账: one row per load batch (audit.load_batch): records_in against loaded + quarantined +
-- duplicates (RULES: nothing lost; every input record loaded or quarantined with a reason), and
-- the rows the batch left in quarantine.rejected_record (one per rejected record, or per rejected
-- field of an accepted record). unaccounted_records <> 0 means records were lost or double-counted.
-- Validated by expectations/suites/load_batch_reconciliation.json.
with

batches as (
    select * from {{ source('audit', 'load_batch') }}
),

quarantined as (
    select
        batch_id,
        count(*) as quarantine_rows
    from {{ source('quarantine', 'rejected_record') }}
    group by batch_id
)

select
    b.batch_id::bigint as batch_id,
    b.source::text as source,
    b.source_file::text as source_file,
    b.status::text as status,
    b.interval_start::timestamptz as interval_start,
    b.interval_end::timestamptz as interval_end,
    (b.started_at at time zone '{{ var("local_timezone") }}')::date as load_day,
    b.records_in::integer as records_in,
    b.records_loaded::integer as records_loaded,
    b.records_quarantined::integer as records_quarantined,
    b.records_duplicate::integer as records_duplicate,
    (b.records_in - b.records_loaded - b.records_quarantined - b.records_duplicate)::integer
        as unaccounted_records,
    coalesce(q.quarantine_rows, 0)::integer as quarantine_rows,
    b.message::text as message
from batches as b
left join quarantined as q on b.batch_id = q.batch_id

-- 溯源 of marts.emergency_response_verification: for a mart row (warning_id, list_year,
-- credit_code, production_line), the emergency-list workbook row (source_kind 'form_row') and
-- every HJ 212 reading of the line's devices from the baseline start to the warning's end
-- (source_kind 'hj212_reading'; phase baseline / period).
--   select * from lineage.emergency_response_verification_source
--   where warning_id = :w and credit_code = :code and production_line = :line
select
    v.warning_id,
    v.list_year,
    v.credit_code,
    v.production_line,
    'form_row' as source_kind,
    null::text as phase,
    f.source_file,
    f.sheet,
    f.source_row,
    f.batch_id,
    null::text as device_mn,
    null::timestamptz as hour_start,
    null::text as reading_code,
    null::text as statistic,
    null::numeric as value,
    null::text as data_flag,
    null::integer as line_number
from {{ ref('emergency_response_verification') }} as v
inner join {{ ref('form_source_row') }} as f
    on v.batch_id = f.batch_id and v.sheet = f.sheet and v.source_row = f.source_row
union all
select
    v.warning_id,
    v.list_year,
    v.credit_code,
    v.production_line,
    'hj212_reading' as source_kind,
    case
        when r.hour_start >= v.start_local at time zone '{{ var("local_timezone") }}' then 'period'
        else 'baseline'
    end as phase,
    r.source_file,
    null::text as sheet,
    null::integer as source_row,
    r.batch_id,
    r.device_mn,
    r.hour_start,
    r.pollutant_code as reading_code,
    r.statistic,
    r.value,
    r.data_flag,
    r.line_number
from {{ ref('emergency_response_verification') }} as v
cross join lateral unnest(v.device_mns) as m (device_mn)
inner join {{ ref('hj212_source_reading') }} as r
    on
        m.device_mn = r.device_mn
        and r.hour_start >= v.baseline_start_local at time zone '{{ var("local_timezone") }}'
        and r.hour_start < v.end_local at time zone '{{ var("local_timezone") }}'
        and r.pollutant_code in ('a34013', 'a21026', 'a21002', 'a21003', 'a21004', 'a00000', 'a19001')

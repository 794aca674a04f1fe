-- 溯源 of marts.emergency_outlet_coverage (and emergency_outlet_day): for a mart row (list_year,
-- credit_code, production_line, outlet_key), the emergency-list workbook row and the registry
-- device it was matched to. The device's daily packets: lineage.cems_outlet_day_source.
--   select * from lineage.emergency_outlet_coverage_source
--   where credit_code = :code and production_line = :line and outlet_key = :key
select
    c.list_year,
    c.credit_code,
    c.production_line,
    c.outlet_key,
    f.source_file,
    f.sheet,
    f.source_row,
    f.batch_id,
    f.raw_cells,
    f.record,
    g.mn as registry_mn,
    g.name as registry_name,
    g.outlet_id as registry_outlet_id,
    g.batch_id as registry_batch_id
from {{ ref('emergency_outlet_coverage') }} as c
inner join {{ ref('form_source_row') }} as f
    on c.batch_id = f.batch_id and c.sheet = f.sheet and c.source_row = f.source_row
left join {{ source('hj212', 'device_registry') }} as g on c.device_mn = g.mn

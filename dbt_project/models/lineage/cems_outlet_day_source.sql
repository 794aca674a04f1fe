-- 溯源 of marts.cems_outlet_day: for a mart row (device_mn, pollutant_code, obs_date), every raw
-- reading behind it: the pollutant itself and the O2 (a19001) and flow (a00000) of the same
-- hours, and NO/NO2 (a21003/a21004) for NOx derived from them.
--   select * from lineage.cems_outlet_day_source
--   where device_mn = :mn and pollutant_code = :code and obs_date = :day
select
    d.device_mn,
    d.pollutant_code,
    d.obs_date,
    r.pollutant_code as reading_code,
    r.hour_start,
    r.command_code,
    r.data_time,
    r.statistic,
    r.value,
    r.data_flag,
    r.packet_qn,
    r.batch_id,
    r.source_file,
    r.line_number,
    r.packet_seq
from {{ ref('cems_outlet_day') }} as d
inner join {{ ref('hj212_source_reading') }} as r
    on
        d.device_mn = r.device_mn
        and d.obs_date = r.obs_date
        and (
            r.pollutant_code in (d.pollutant_code, 'a19001', 'a00000')
            or (d.pollutant_code = 'a21002' and r.pollutant_code in ('a21003', 'a21004'))
        )

-- 溯源: the raw HJ 212 readings (raw.hj212_reading, first sighting of each key) behind the CEMS and
-- dust marts, keyed like them: device_mn, hour_start (START of the hour, as cems_outlet_hour) and
-- obs_date (local day). Includes the O2, flow and NO/NO2 inputs of a converted value or emission.
-- The packet itself: raw.hj212_packet where batch_id = .. and packet_seq = ..; the file: audit.load_batch.
select
    r.mn as device_mn,
    date_trunc('hour', r.data_time at time zone '{{ var("local_timezone") }}')
    at time zone '{{ var("local_timezone") }}' as hour_start,
    (r.data_time at time zone '{{ var("local_timezone") }}')::date as obs_date,
    r.cn as command_code,
    r.data_time,
    r.pollutant_code,
    r.statistic,
    r.value,
    r.flag as data_flag,
    r.qn as packet_qn,
    r.batch_id,
    r.source_file,
    r.line_number,
    r.packet_seq
from {{ source('hj212', 'hj212_reading') }} as r
where r.cn in ('2051', '2061')

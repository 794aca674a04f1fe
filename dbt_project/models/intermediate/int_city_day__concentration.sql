{{ config(**watermarked_incremental(['city', 'obs_date'])) }}
-- City daily concentrations: the mean over the city's national-control (国控) stations with a
-- valid daily value (HJ 663 city scale: county stations never enter the city figure); the
-- logic is the macro area_day_concentration (macros/area_day.sql), shared with the counties.
with

affected as (
    select distinct
        city,
        obs_date
    from {{ ref('int_station_day__concentration') }}
    where {{ new_since_last_run() }} and network = 'national'
),

station_day as (
    select s.*
    from {{ ref('int_station_day__concentration') }} as s
    inner join affected as a on s.city = a.city and s.obs_date = a.obs_date
    where s.network = 'national'
)

{{ area_day_concentration('station_day', ['city']) }}

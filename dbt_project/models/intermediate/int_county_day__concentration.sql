{{ config(**watermarked_incremental(['city', 'county', 'obs_date'], pre_hook="{{ reset_on_reference_change('ref_station') }}")) }}
-- County (县、市、区) daily concentrations: the mean over every station the reference list assigns
-- to the county (its county stations, and national-control stations that lie in it, e.g. 尧都区),
-- same rules as the city (macro area_day_concentration, macros/area_day.sql). Incremental: the
-- county-days with a changed station-day; all of them when the reference list was reloaded (a
-- station may have moved county).
with

reference_batch as (
    select coalesce(max(batch_id), 0) as reference_batch_id
    from {{ source('reference', 'ref_station') }}
),

station_county as (
    select
        station_code,
        county
    from {{ ref('stg_reference__station') }}
    where county is not null
),

assigned as (
    select
        s.*,
        c.county
    from {{ ref('int_station_day__concentration') }} as s
    inner join station_county as c on s.station_code = c.station_code
),

affected as (
    select distinct
        city,
        county,
        obs_date
    from assigned
    where
        {{ new_since_last_run() }}
        {% if is_incremental() %}
            or (select r.reference_batch_id from reference_batch as r)
            > (select coalesce(max(this_run.reference_batch_id), 0) from {{ this }} as this_run)
        {% endif %}
),

station_day as (
    select s.*
    from assigned as s
    inner join affected as a
        on s.city = a.city and s.county = a.county and s.obs_date = a.obs_date
),

county_day as (
    {{ area_day_concentration('station_day', ['city', 'county'],
        '(select r.reference_batch_id from reference_batch as r)') }}
)

select
    county_day.*,
    (select r.reference_batch_id from reference_batch as r) as reference_batch_id
from county_day

-- 站点名录覆盖: every monitoring station listed in the city profile (config/city_profile.yaml,
-- raw.ref_station) has a monitor that published, and every publishing station is listed.
-- One row per station in either set. Validated by expectations/suites/station_registry_coverage.json.
with

listed as (
    select
        station_code,
        station_name,
        city,
        county
    from {{ source('reference', 'ref_station') }}
),

published as (
    select
        station_code,
        max(station_name) as station_name,
        max(city) as city,
        min(day) as first_day,
        max(day) as last_day,
        count(*) filter (where present_hours > 0) as days_with_data,
        sum(present_hours) as present_hours,
        sum(expected_hours) as expected_hours
    from {{ ref('station_day_coverage') }}
    group by station_code
)

select
    coalesce(l.station_code, p.station_code)::text as station_code,
    coalesce(l.station_name, p.station_name)::text as station_name,
    coalesce(l.city, p.city)::text as city,
    l.county::text as county,
    (l.station_code is not null)::boolean as is_listed,
    (coalesce(p.present_hours, 0) > 0)::boolean as has_data,
    p.first_day::date as first_day,
    p.last_day::date as last_day,
    coalesce(p.days_with_data, 0)::integer as days_with_data,
    coalesce(p.present_hours, 0)::integer as present_hours,
    coalesce(p.expected_hours, 0)::integer as expected_hours
from listed as l
full outer join published as p on l.station_code = p.station_code

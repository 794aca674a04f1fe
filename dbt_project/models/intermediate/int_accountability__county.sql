-- The counties (县、市、区) the accountability marts report on. The city's county list lives in
-- config/city_profile.yaml (city.counties) and reaches the warehouse only through the forms'
-- code list, so the universe is every county named by the current leader assignments
-- (领导分包: every county has a city leader), the county targets, the inspection findings and the
-- device registry. 全市 / 市直 are city-level rows, not counties.
with

named as (
    select county from {{ ref('stg_forms__leader_district') }}
    union
    select area from {{ ref('stg_forms__annual_target') }}
    union
    select county from {{ ref('stg_forms__inspection') }}
    union
    select county from {{ ref('stg_hj212__device') }}
)

select distinct county::text as county
from named
where county is not null and county not in ('全市', '市直')

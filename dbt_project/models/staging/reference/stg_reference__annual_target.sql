-- Configuration from config/city_profile.yaml (ingest.reference), as loaded.
with

source as (
    select * from {{ source('reference', 'ref_annual_target') }}
)

select * from source

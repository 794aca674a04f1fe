-- Configuration from config/city_profile.yaml (ingest.reference), as loaded.
with

source as (
    select * from {{ source('reference', 'ref_city') }}
)

select * from source

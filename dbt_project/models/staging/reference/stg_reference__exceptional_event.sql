-- Configuration from config/city_profile.yaml (ingest.reference), as loaded.
with

source as (
    select * from {{ source('reference', 'ref_exceptional_event') }}
)

select * from source

-- 在线监测设备登记 (staging): one row per HJ 212 device (config/device_registry.csv).
with

source as (
    select * from {{ source('hj212', 'device_registry') }}
),

renamed as (
    select
        mn as device_mn,
        kind as device_kind,
        name as owner_name,
        uscc,
        outlet_id,
        outlet_name,
        county,
        industry,
        o2_ref_pct,
        emission_standard_id,
        batch_id as registry_batch_id
    from source
)

select * from renamed

-- The CEMS hours the county scorecard counts, per outlet device and local day: hours, valid hours
-- and exceedance hours of marts.cems_outlet_hour (every pollutant of the device, as the scorecard
-- counts them), so the scorecard's compliance figures (int_accountability__scorecard_cems) sum
-- outlet-days, not hours x scorecard dates. Lineage: the outlet-day's rows of cems_outlet_hour
-- (device_mn, obs_date: its index) and their packets (lineage.county_scorecard_source).
-- In the marts folder, built in the marts step (it reads a mart); schema intermediate, not for BI.
-- Incremental: the device-days with a cems_outlet_hour row rebuilt since the last run, read whole
-- (macros/incremental.sql); a reload of the device registry empties the table first and rebuilds
-- it (reset_on_reference_change), as cems_outlet_hour does.
{{ config(schema='intermediate', **watermarked_incremental(
    ['device_mn', 'obs_date'],
    extra_indexes=[['county', 'obs_date']],
    pre_hook="{{ reset_on_reference_change('device_registry', 'hj212', 'registry_batch_id') }}",
)) }}
with

{{ rows_of_units_changed_since_last_run(ref('cems_outlet_hour'), ['device_mn', 'obs_date'], batch_column='raw_batch_watermark') }}

outlet_day as (
    select
        county,
        device_mn,
        obs_date,
        count(*) as hours,
        count(*) filter (where is_valid) as valid_hours,
        count(*) filter (where is_exceedance) as exceedance_hours,
        max(registry_batch_id) as registry_batch_id
    from source
    group by county, device_mn, obs_date
)

select
    county::text as county,
    device_mn::text as device_mn,
    obs_date::date as obs_date,
    hours::integer as hours,
    valid_hours::integer as valid_hours,
    exceedance_hours::integer as exceedance_hours,
    registry_batch_id::bigint as registry_batch_id,
    {{ raw_watermark(ref('cems_outlet_hour'), 'raw_batch_watermark') }}::bigint as raw_batch_watermark
from outlet_day

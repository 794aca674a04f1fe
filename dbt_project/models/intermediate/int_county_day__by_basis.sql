{{
    config(
        materialized='incremental',
        unique_key=['city', 'county', 'obs_date', 'basis'],
        incremental_strategy='delete+insert',
        pre_hook="{{ reset_on_reference_change() }}",
        indexes=[
            {'columns': ['city', 'county', 'obs_date', 'basis'], 'unique': True},
            {'columns': ['raw_batch_watermark']}, {'columns': ['obs_date']}
        ]
    )
}}
-- County days under three bases (in_force, HJ633-2012, HJ633-2026) with the exceptional-event
-- flag of their city: macro area_day_by_basis (macros/area_day.sql), shared with the cities.
{{ area_day_by_basis('county') }}

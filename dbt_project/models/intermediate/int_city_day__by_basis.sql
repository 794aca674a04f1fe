{{
    config(
        materialized='incremental',
        unique_key=['city', 'obs_date', 'basis'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['city', 'obs_date', 'basis'], 'unique': True},
            {'columns': ['raw_batch_watermark']}, {'columns': ['obs_date']}
        ]
    )
}}
-- City days under three bases (in_force, HJ633-2012, HJ633-2026) with the exceptional-event
-- flag: macro area_day_by_basis (macros/area_day.sql), shared with the counties.
{{ area_day_by_basis('city') }}

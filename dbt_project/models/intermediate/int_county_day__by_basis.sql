{{ config(**watermarked_incremental(['city', 'county', 'obs_date', 'basis'], extra_indexes=[['obs_date']], pre_hook="{{ reset_on_reference_change() }}")) }}
-- County days under three bases (in_force, HJ633-2012, HJ633-2026) with the exceptional-event
-- flag of their city: macro area_day_by_basis (macros/area_day.sql), shared with the cities.
{{ area_day_by_basis('county') }}

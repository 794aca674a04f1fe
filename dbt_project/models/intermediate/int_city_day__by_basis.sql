{{ config(**watermarked_incremental(['city', 'obs_date', 'basis'], extra_indexes=[['obs_date']])) }}
-- City days under three bases (in_force, HJ633-2012, HJ633-2026) with the exceptional-event
-- flag: macro area_day_by_basis (macros/area_day.sql), shared with the counties.
{{ area_day_by_basis('city') }}

-- 市级领导分包 (ingest/forms/leader_district.yaml), current version: one row per leader and county.
{{ stg_form('leader_district', [
    'period::integer as assignment_year',
    'record.leader_name', 'record.leader_post', 'record.county', 'record.focus_area',
    'record.contact_unit', 'record.since_date::date',
]) }}

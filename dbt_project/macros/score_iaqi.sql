{#-
  IAQI of each row of `relation` (columns rule_set, pollutant, averaging, conc), HJ 633 formula (1):
  IAQI = (IAQI_hi - IAQI_lo) / (BP_hi - BP_lo) * (C - BP_lo) + IAQI_lo, rounded up, exactly.
  A value on a breakpoint belongs to the lower segment (same IAQI either way: the index is continuous).
  Above the top breakpoint the standard is silent; the national platform publishes 500: we do the
  same and flag it (above_top_breakpoint). Special cases (SO2 1h > 800, O3 8h > 800) are handled
  by the callers, which know the rule set's fallback.
-#}
{% macro score_iaqi(relation) -%}
    select
        r.*,
        case
            when r.conc is null then null
            when seg.iaqi_lo is null then 500
            else seg.iaqi_lo + {{ ceil_div('(seg.iaqi_hi - seg.iaqi_lo) * (r.conc - seg.bp_lo)', 'seg.bp_hi - seg.bp_lo') }}
        end::integer as iaqi,
        (r.conc is not null and seg.iaqi_lo is null) as above_top_breakpoint
    from {{ relation }} as r
    left join {{ ref('aqi_breakpoints') }} as seg
        on
            r.rule_set = seg.rule_set
            and r.pollutant = seg.pollutant
            and r.averaging = seg.averaging
            and r.conc <= seg.bp_hi
            and (r.conc > seg.bp_lo or (seg.bp_lo = 0 and r.conc = 0))
{%- endmacro %}

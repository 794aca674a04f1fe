{#-
  The special rules of HJ 633 shared by the hourly and daily, station and city models.

  is_na_by_s5_3_1: HJ 633-2026 s5.3.1: when a pollutant is missing or invalid, the AQI of the
  others is published only when it is above 100; otherwise the AQI is NA. HJ 633-2012 has no such
  clause (the AQI of the pollutants present is reported). "/" (not monitored, s5.3.2) is not
  counted as missing by the callers.

  so2_1h_iaqi: SO2 1h above 800 ug/m3: HJ 633-2012 table 1 note 2 uses the SO2 24h IAQI;
  HJ 633-2026 table 3 note b scores IAQI 200.
-#}
{% macro is_na_by_s5_3_1(rule_set, missing, aqi_available) -%}
    ({{ rule_set }} = 'HJ633-2026' and {{ missing }} > 0 and {{ aqi_available }} <= 100)
{%- endmacro %}

{% macro published_aqi(rule_set, missing, aqi_available) -%}
    case when {{ is_na_by_s5_3_1(rule_set, missing, aqi_available) }} then null else {{ aqi_available }} end
{%- endmacro %}

{% macro so2_1h_iaqi(pollutant, conc, rule_set, iaqi, iaqi_so2_24h) -%}
    case
        when {{ pollutant }} = 'so2' and {{ conc }} > 800 and {{ rule_set }} = 'HJ633-2026' then 200
        when {{ pollutant }} = 'so2' and {{ conc }} > 800 then {{ iaqi_so2_24h }}
        else {{ iaqi }}
    end
{%- endmacro %}

{#-
  The national platform's reading of an hour with a missing pollutant (README "Reading the
  national publication": found on the real rows of every year 2022-2026, not a clause of the
  standard). `h` is a relation with aqi_available, pollutants_missing (missing or invalid, "/"
  not counted), pm10_missing and pm2_5_missing.
    no pollutant at all -> NA; nothing missing (or only "/") -> the AQI;
    PM10 and PM2.5 both missing -> NA, even above 100;
    above 100 -> the AQI of the pollutants present (as HJ 633-2026 s5.3.1);
    only PM10 missing, from var platform_publishes_without_pm10_from -> the AQI of the others;
    otherwise (at or below 100) -> NA, under HJ 633-2012 as under 2026.
-#}
{% macro platform_aqi(obs_date, h) -%}
    case
        when {{ h }}.aqi_available is null then null
        when {{ h }}.pollutants_missing = 0 then {{ h }}.aqi_available
        when {{ h }}.pm10_missing and {{ h }}.pm2_5_missing then null
        when {{ h }}.aqi_available > 100 then {{ h }}.aqi_available
        when
            {{ h }}.pollutants_missing = 1 and {{ h }}.pm10_missing
            and {{ obs_date }} >= '{{ var("platform_publishes_without_pm10_from") }}'::date
            then {{ h }}.aqi_available
    end
{%- endmacro %}

{#- Why the platform's AQI differs from the official one (null when they agree). `p` has aqi,
    platform_aqi, pm10_missing, pm2_5_missing, pollutants_missing. -#}
{% macro platform_difference(p, rule_set) -%}
    case
        when ({{ p }}.platform_aqi is not distinct from {{ p }}.aqi) then null
        when {{ p }}.pm10_missing and {{ p }}.pm2_5_missing then 'platform_na_without_pm10_and_pm2_5'
        when {{ p }}.platform_aqi is not null and {{ p }}.pm10_missing and {{ p }}.pollutants_missing = 1
            then 'platform_publishes_without_pm10'
        when {{ p }}.platform_aqi is null and {{ rule_set }} = 'HJ633-2012'
            then 'platform_na_at_or_below_100_under_2012'
        else 'other'
    end
{%- endmacro %}

{#- A FROM-clause item (to follow `cross join`) yielding one row per day from `start_day` to `end_day` inclusive,
    the day in column `alias` (cast it to date: DuckDB yields timestamps). No rows when start_day > end_day.
    Usage: from ranges cross join {{ metric_day_series('ranges.start_day', 'ranges.end_day', 'sample_day') }} -#}
{% macro metric_day_series(start_day, end_day, alias) -%}
    {{ return(adapter.dispatch('metric_day_series', 'impact')(start_day, end_day, alias)) }}
{%- endmacro %}

{% macro default__metric_day_series(start_day, end_day, alias) -%}
    unnest(generate_series(cast({{ start_day }} as date), cast({{ end_day }} as date), interval 1 day))
    as {{ alias }}_series ({{ alias }})
{%- endmacro %}

{% macro bigquery__metric_day_series(start_day, end_day, alias) -%}
    unnest(generate_date_array({{ start_day }}, {{ end_day }})) as {{ alias }}
{%- endmacro %}

{#- The few places where the metric layer's SQL differs between engines. -#}

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


{#- The exact median (interpolated, like percentile_cont) of `expression` over the rows of each `partition_by`
    group, as a window function: every row of a group carries the group's median. -#}
{% macro metric_median_over(expression, partition_by) -%}
    {{ return(adapter.dispatch('metric_median_over', 'impact')(expression, partition_by)) }}
{%- endmacro %}

{% macro default__metric_median_over(expression, partition_by) -%}
    {{ exceptions.raise_compiler_error(
        "metric_median_over has no implementation for the '" ~ target.type ~ "' adapter: add "
        ~ target.type ~ "__metric_median_over to macros/metrics/metric_dialect.sql"
    ) }}
{%- endmacro %}

{% macro duckdb__metric_median_over(expression, partition_by) -%}
    quantile_cont({{ expression }}, 0.5) over (partition by {{ partition_by | join(', ') }})
{%- endmacro %}

{% macro bigquery__metric_median_over(expression, partition_by) -%}
    percentile_cont({{ expression }}, 0.5) over (partition by {{ partition_by | join(', ') }})
{%- endmacro %}


{#- The `partition_by` config of a metric model: none on DuckDB; on BigQuery monthly partitions of sample_date
    (daily ones would pass BigQuery's 4000 partitions per job on a full refresh of 11 years of GH Archive). -#}
{% macro metric_partition_by() -%}
    {{ return(adapter.dispatch('metric_partition_by', 'impact')()) }}
{%- endmacro %}

{% macro default__metric_partition_by() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro bigquery__metric_partition_by() -%}
    {{ return({'field': 'sample_date', 'data_type': 'date', 'granularity': 'month'}) }}
{%- endmacro %}


{#- How an incremental metric model replaces the sample days it recomputes (whole months, every entity).
    DuckDB: delete+insert keyed on sample_date (a delete of those days, then an insert).
    BigQuery: insert_overwrite of the monthly sample_date partitions the run produced. -#}
{% macro metric_incremental_strategy() -%}
    {{ return(adapter.dispatch('metric_incremental_strategy', 'impact')()) }}
{%- endmacro %}

{% macro default__metric_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro bigquery__metric_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{#- `date_expression` plus `days_expression` days, as a date on every engine (dbt.dateadd alone returns a timestamp
    on DuckDB and a datetime on BigQuery). Both arguments are SQL expressions. -#}
{% macro metric_add_days(date_expression, days_expression) -%}
    cast({{ dbt.dateadd('day', days_expression, date_expression) }} as date)
{%- endmacro %}

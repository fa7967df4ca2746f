{#- The exact median (interpolated, like percentile_cont) of `expression` over the rows of each `partition_by`
    group, as a window function: every row of a group carries the group's median. Used by the join algorithm of
    metric_window_medians_ctes (BigQuery); DuckDB computes framed medians instead. -#}
{% macro metric_median_over(expression, partition_by) -%}
    {{ return(adapter.dispatch('metric_median_over', 'impact')(expression, partition_by)) }}
{%- endmacro %}

{% macro default__metric_median_over(expression, partition_by) -%}
    {{ exceptions.raise_compiler_error(
        "metric_median_over has no implementation for the '" ~ target.type ~ "' adapter: add "
        ~ target.type ~ "__metric_median_over to macros/metrics/metric_median_over.sql"
    ) }}
{%- endmacro %}

{% macro bigquery__metric_median_over(expression, partition_by) -%}
    percentile_cont({{ expression }}, 0.5) over (partition by {{ partition_by | join(', ') }})
{%- endmacro %}

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

{#- The `unique_key` of a model rewritten by whole months (month_replace_strategy), for the day column `field`.
    delete+insert deletes the rows whose key is among the keys of the run's rows: keyed on the month, it deletes
    whole months, as BigQuery's insert_overwrite replaces whole monthly partitions. None on BigQuery (the
    partitioning decides there). -#}
{% macro month_replace_key(field) -%}
    {{ return(adapter.dispatch('month_replace_key', 'impact')(field)) }}
{%- endmacro %}

{% macro default__month_replace_key(field) -%}
    {{ return(dbt.date_trunc('month', field)) }}
{%- endmacro %}

{% macro bigquery__month_replace_key(field) -%}
    {{ return(none) }}
{%- endmacro %}

{#- The incremental strategy of a model that an incremental run rewrites by whole months (the staging models over
    the raw layer). BigQuery: insert_overwrite, which replaces every monthly partition the run's rows fall in
    (dynamic partitions, one atomic MERGE). Other engines: delete+insert keyed on the month of the partition column
    (month_replace_key), which deletes the same months before inserting the run's rows. -#}
{% macro month_replace_strategy() -%}
    {{ return(adapter.dispatch('month_replace_strategy', 'impact')()) }}
{%- endmacro %}

{% macro default__month_replace_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro bigquery__month_replace_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- `date_expression` plus `days_expression` days, as a date on every engine (dbt.dateadd alone returns a timestamp
    on DuckDB and a datetime on BigQuery). Both arguments are SQL expressions. -#}
{% macro metric_add_days(date_expression, days_expression) -%}
    cast({{ dbt.dateadd('day', days_expression, date_expression) }} as date)
{%- endmacro %}

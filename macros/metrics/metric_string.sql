{#- A catalog text as a SQL string literal, its quotes escaped for the target (doubled on DuckDB, backslashed on
    BigQuery: dbt.escape_single_quotes). -#}
{% macro metric_string(text) -%}
    {{ dbt.string_literal(dbt.escape_single_quotes(text)) }}
{%- endmacro %}

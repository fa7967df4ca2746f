{#- An 8-byte floating point type. dbt.type_float() is not it on DuckDB (FLOAT is 4 bytes there). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'impact')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}

{#- True when the JSONPath exists in the JSON text, whatever its value (object, array, scalar).
    Used to tell "the payload lists commits" from "the payload has no commits field". -#}
{% macro json_has_path(json_text, path) -%}
    {{ return(adapter.dispatch('json_has_path', 'impact')(json_text, path)) }}
{%- endmacro %}

{% macro default__json_has_path(json_text, path) -%}
    coalesce(json_extract({{ json_text }}, '{{ path }}') is not null, false)
{%- endmacro %}

{% macro bigquery__json_has_path(json_text, path) -%}
    coalesce(json_query({{ json_text }}, '{{ path }}') is not null, false)
{%- endmacro %}

{#- The scalar at a JSONPath of a JSON text, as a string (NULL when the path is absent or holds null).
    Booleans come back as 'true'/'false', numbers as their text. -#}
{% macro json_scalar(json_text, path) -%}
    {{ return(adapter.dispatch('json_scalar', 'impact')(json_text, path)) }}
{%- endmacro %}

{% macro default__json_scalar(json_text, path) -%}
    json_extract_string({{ json_text }}, '{{ path }}')
{%- endmacro %}

{% macro bigquery__json_scalar(json_text, path) -%}
    json_value({{ json_text }}, '{{ path }}')
{%- endmacro %}

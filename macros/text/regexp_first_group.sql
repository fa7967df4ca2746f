{#- The first capturing group of an RE2 pattern in a string; NULL when the pattern does not match.
    Write patterns without backslashes (use [.] and [0-9]) so the literal means the same on both engines, and with
    exactly one capturing group (BigQuery's rule; use (?:...) for the others). -#}
{% macro regexp_first_group(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_first_group', 'impact')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_first_group(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{% macro bigquery__regexp_first_group(expression, pattern) -%}
    regexp_extract({{ expression }}, r'{{ pattern }}')
{%- endmacro %}

{#- Custom schemas are used as they are (staging, intermediate, marts, seeds), not prefixed with the target's
    schema: the same relation names on every target, as the raw layer has. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

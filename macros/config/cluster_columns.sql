{#- BigQuery `cluster_by` config (up to four columns); none on other engines.
    Usage: {{ config(cluster_by=cluster_columns(['repo_id'])) }} -#}
{% macro cluster_columns(columns) -%}
    {{ return(adapter.dispatch('cluster_columns', 'impact')(columns)) }}
{%- endmacro %}

{% macro default__cluster_columns(columns) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro bigquery__cluster_columns(columns) -%}
    {{ return(columns) }}
{%- endmacro %}

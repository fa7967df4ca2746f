{#- BigQuery `partition_by` config for a table partitioned by day on `field`; none on other engines.
    Usage: {{ config(partition_by=day_partition('event_day')) }} -#}
{% macro day_partition(field, data_type='date') -%}
    {{ return(adapter.dispatch('day_partition', 'impact')(field, data_type)) }}
{%- endmacro %}

{% macro default__day_partition(field, data_type) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro bigquery__day_partition(field, data_type) -%}
    {{ return({'field': field, 'data_type': data_type, 'granularity': 'day'}) }}
{%- endmacro %}

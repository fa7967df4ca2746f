{#- BigQuery `partition_by` config for a table partitioned by month on `field`; none on other engines.
    Month partitions, not day ones: one BigQuery job may write at most 4,000 partitions, and a build from all of
    GH Archive's history (2011 on, some 5,700 days) would pass that by day; by month it is under 200. Cluster the
    table by the same column first, so that a range of days inside a month prunes too.
    Usage: {{ config(partition_by=month_partition('event_day'), cluster_by=cluster_columns(['event_day'])) }} -#}
{% macro month_partition(field, data_type='date') -%}
    {{ return(adapter.dispatch('month_partition', 'impact')(field, data_type)) }}
{%- endmacro %}

{% macro default__month_partition(field, data_type) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro bigquery__month_partition(field, data_type) -%}
    {{ return({'field': field, 'data_type': data_type, 'granularity': 'month'}) }}
{%- endmacro %}

{#- The `partition_by` config of a metric model: none on DuckDB; on BigQuery monthly partitions of sample_date
    (daily ones would pass BigQuery's 4000 partitions per job on a full refresh of 11 years of GH Archive). -#}
{% macro metric_partition_by() -%}
    {{ return(adapter.dispatch('metric_partition_by', 'impact')()) }}
{%- endmacro %}

{% macro default__metric_partition_by() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro bigquery__metric_partition_by() -%}
    {{ return({'field': 'sample_date', 'data_type': 'date', 'granularity': 'month'}) }}
{%- endmacro %}

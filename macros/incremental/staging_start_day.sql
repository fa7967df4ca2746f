{#- The first day an incremental run of a staging model reads from the raw layer and rewrites: the first of the
    month holding the model's last day (the max of `day_column` in the model's table) minus var
    `staging_lookback_days` (default 3), so that a day re-loaded within the lookback is read again and whole months
    are rewritten. With an empty table: 0001-01-01, all history. A SQL expression of type date, to compare the raw
    table's partition column with (`where raw.archive_day >= {{ staging_start_day('archive_day') }}`).

    BigQuery prunes the partitions of a table only on a filter whose bound is a constant expression: a subquery on
    the model's table would read every partition. So there the bound is computed from `_dbt_max_partition`, the
    script variable dbt-bigquery's insert_overwrite declares before the run's query (the max of the model's
    partition column), which BigQuery treats as a constant. DuckDB reads the bound from a scalar subquery on the
    model's table and skips the row groups below it. -#}
{% macro staging_start_day(day_column) -%}
    {%- set lookback_days = var('staging_lookback_days', 3) -%}
    {%- if lookback_days is not number or lookback_days < 0 or lookback_days != lookback_days | int -%}
        {{ exceptions.raise_compiler_error(
            "var staging_lookback_days must be a whole number of days, 0 or more (it is " ~ lookback_days
            ~ "); set it in dbt_project.yml or with --vars '{staging_lookback_days: 3}'"
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('staging_start_day', 'impact')(day_column, lookback_days | int)) }}
{%- endmacro %}

{% macro default__staging_start_day(day_column, lookback_days) -%}
    {%- set lookback_start = metric_add_days('max(' ~ day_column ~ ')', -1 * lookback_days) -%}
    (
        select coalesce(cast({{ dbt.date_trunc('month', lookback_start) }} as date), cast('0001-01-01' as date))
        from {{ this }}
    )
{%- endmacro %}

{% macro bigquery__staging_start_day(day_column, lookback_days) -%}
    {%- set partition_by = config.get('partition_by') or {} -%}
    {%- if partition_by.get('field') != day_column -%}
        {{ exceptions.raise_compiler_error(
            "model '" ~ model.name ~ "': staging_start_day('" ~ day_column ~ "') needs the model partitioned on "
            ~ day_column ~ " (config partition_by=month_partition('" ~ day_column ~ "')): on BigQuery the start "
            ~ "is computed from _dbt_max_partition, the max of the partition column"
        ) }}
    {%- endif -%}
    coalesce(
        date_trunc(date_sub(_dbt_max_partition, interval {{ lookback_days }} day), month), date '0001-01-01'
    )
{%- endmacro %}

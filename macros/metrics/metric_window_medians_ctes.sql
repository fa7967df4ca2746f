{#- CTE window_medians (entity_type, entity_id, sample_date, window_name, median_days): the median duration of the
    items of entity_merges (entity_type, entity_id, merge_day, duration_days) whose day is in each window of each
    spine day; no row where a window has none. Two algorithms, one result:
    DuckDB computes framed medians (quantile_cont over a RANGE of days, which DuckDB evaluates with a merge-sort
    tree) on the merges plus placeholder rows per spine day, so the work grows with merges + days.
    BigQuery (and the default) joins every spine day to the merges of its window and takes percentile_cont per
    group: BigQuery allows no frame on percentile_cont, and it spreads the join. -#}
{% macro metric_window_medians_ctes(metric) -%}
    {{ return(adapter.dispatch('metric_window_medians_ctes', 'impact')(metric)) }}
{%- endmacro %}

{% macro default__metric_window_medians_ctes(metric) -%}
window_merges as (
    select
        spine.entity_type,
        spine.entity_id,
        spine.sample_date,
        windows.window_name,
        {{ metric_median_over(
            'entity_merges.duration_days',
            ['spine.entity_type', 'spine.entity_id', 'spine.sample_date', 'windows.window_name']
        ) }} as median_days
    from spine
    cross join windows
    inner join entity_merges
        on
            spine.entity_type = entity_merges.entity_type
            and spine.entity_id = entity_merges.entity_id
            and entity_merges.merge_day <= spine.sample_date
            and entity_merges.merge_day > {{ metric_add_days('spine.sample_date', '-1 * windows.window_days') }}
),

window_medians as (
    select
        entity_type,
        entity_id,
        sample_date,
        window_name,
        max(median_days) as median_days
    from window_merges
    group by entity_type, entity_id, sample_date, window_name
),
{%- endmacro %}

{% macro duckdb__metric_window_medians_ctes(metric) -%}
{%- set windows = metric_windows(metric.all_time) -%}
-- The merges, and two placeholders per spine day to read each window's median from: one below and one above every
-- duration, so they leave the median of the merges unchanged (DuckDB's framed quantile is fast without NULLs or a
-- FILTER, which would otherwise mark the placeholders; 50 to 100 times slower with them).
median_points as (
    select
        entity_type,
        entity_id,
        merge_day as point_day,
        duration_days,
        1 as merge_count,
        false as is_sample
    from entity_merges

    union all

    select
        entity_type,
        entity_id,
        sample_date as point_day,
        cast('-infinity' as double) as duration_days,
        0 as merge_count,
        false as is_sample
    from spine

    union all

    select
        entity_type,
        entity_id,
        sample_date as point_day,
        cast('infinity' as double) as duration_days,
        0 as merge_count,
        true as is_sample
    from spine
),

point_medians as (
    select
        entity_type,
        entity_id,
        point_day,
        is_sample,
        {%- for window in windows %}
        quantile_cont(duration_days, 0.5) over (
            partition by entity_type, entity_id
            order by point_day
            range between interval {{ window.days - 1 }} days preceding and current row
        ) as median_{{ loop.index }},
        sum(merge_count) over (
            partition by entity_type, entity_id
            order by point_day
            range between interval {{ window.days - 1 }} days preceding and current row
        ) as merge_count_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from median_points
),

window_medians as (
    select
        point_medians.entity_type,
        point_medians.entity_id,
        point_medians.point_day as sample_date,
        windows.window_name,
        case
            {%- for window in windows %}
            when windows.window_name = '{{ window.name }}' and point_medians.merge_count_{{ loop.index }} > 0
                then point_medians.median_{{ loop.index }}
            {%- endfor %}
        end as median_days
    from point_medians
    cross join windows
    where point_medians.is_sample
),
{%- endmacro %}

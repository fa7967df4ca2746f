{#- One catalog entry -> one model: the metric's daily timeseries for every project and every collection.

    A row per (entity, sample day, window) from the entity's first event to the last day with data, so a quiet day
    is an explicit zero. `amount` on a sample day D over a window of N days aggregates the events of days
    D-N+1 .. D (the `all` window: every day up to D).

    How: every aggregation but the median is turned into "deltas", +x on the day a contribution enters the window
    and -x on the day it leaves it; the value on D is the running sum of the deltas up to D over the dense day
    spine. A sum enters with its amount and leaves N days later. A member (a developer, an address) counts on the
    runs of days where it has at least k active days in the window (k = 1 for distinct counts; a class such as
    full-time developers is the members with k_min days minus those with k_below): a run enters and leaves once
    (metric_delta_ctes). Medians are framed medians over the merges (metric_window_medians_ctes).

    Incremental runs recompute every sample day from the first of the month holding the day `metric_lookback_days`
    (var, default 3) before the next one to build: sums from the whole history (deltas before the first
    recomputed day add up onto it), people and medians from the days the windows of those sample days reach. So
    they equal a full refresh as long as no event arrives more than the lookback late. After a registry change (an
    artifact moving between projects, a project joining a collection) or a change of a metric's definition, run
    `dbt build --full-refresh --select marts.metrics`; after a backfill of older days, `dbt build --full-refresh`
    (the staging models over the raw layer are incremental too: see staging_start_day).
-#}
{% macro metric_timeseries(name) %}
{%- set metric = metric_definition(name) -%}
{%- if model.resource_type == 'model' and model.name != name -%}
    {{ exceptions.raise_compiler_error(
        "model '" ~ model.name ~ "' calls metric_timeseries('" ~ name ~ "'): a metric's model is named after it"
    ) }}
{%- endif -%}
{%- set windows = metric_computed_windows(metric) -%}
{%- if windows | length == 0 -%}
    {{ exceptions.raise_compiler_error("metric '" ~ name ~ "': var metric_windows leaves it no window") }}
{%- endif -%}
{%- set lookback_days = var('metric_lookback_days', 3) | int -%}
{%- if lookback_days < 1 -%}
    {{ exceptions.raise_compiler_error("var metric_lookback_days must be at least 1 (it is " ~ lookback_days ~ ")") }}
{%- endif -%}
{%- set is_median = metric.aggregation == 'median_duration' -%}
{#- An averaged metric computes its daily value from `average_days` - 1 days before the first day it reports. -#}
{%- set lead_days = metric.average_days - 1 if metric.average_days is not none else 0 -%}

{{ config(
    materialized='incremental',
    incremental_strategy=metric_incremental_strategy(),
    unique_key='sample_date',
    on_schema_change='fail',
    partition_by=metric_partition_by(),
    cluster_by=cluster_columns(['entity_type', 'entity_id'])
) }}

with

artifacts_by_project as (
    select
        artifact_id,
        {%- if is_median %}
        repo_id,
        {%- endif %}
        project_id
    from {{ ref('int_artifacts_by_project') }}
),

projects_by_collection as (
    select
        collection_id,
        project_id
    from {{ ref('int_projects_by_collection') }}
),

-- A project is active from the day of its first event (of any type) to the last day with data.
artifact_event_days as (
    select
        to_artifact_id,
        min(cast(time as date)) as first_day,
        max(cast(time as date)) as last_day
    from {{ ref('int_events') }}
    group by to_artifact_id
),

project_first_days as (
    select
        artifacts_by_project.project_id,
        min(artifact_event_days.first_day) as first_day
    from artifact_event_days
    inner join artifacts_by_project
        on artifact_event_days.to_artifact_id = artifacts_by_project.artifact_id
    group by artifacts_by_project.project_id
),

entity_first_days as (
    select
        'project' as entity_type,
        project_id as entity_id,
        first_day
    from project_first_days

    union all

    select
        'collection' as entity_type,
        projects_by_collection.collection_id as entity_id,
        min(project_first_days.first_day) as first_day
    from project_first_days
    inner join projects_by_collection
        on project_first_days.project_id = projects_by_collection.project_id
    group by projects_by_collection.collection_id
),

data_end as (
    select max(last_day) as end_day
    from artifact_event_days
),
{%- if is_incremental() %}

-- The first sample day this run recomputes: the first of the month holding the day `metric_lookback_days` before
-- the day after the last one built (whole months: BigQuery replaces the table's monthly partitions).
incremental_start as (
    select
        cast(
            {{ dbt.date_trunc('month', metric_add_days('max(sample_date)', 1 - lookback_days)) }} as date
        ) as start_day
    from {{ this }}
),
{%- endif %}

-- The sample days computed by this run, per entity: its whole active range, or from the incremental start on.
entity_ranges as (
    select
        entity_first_days.entity_type,
        entity_first_days.entity_id,
        {%- if is_incremental() %}
        case
            when incremental_start.start_day > entity_first_days.first_day then incremental_start.start_day
            else entity_first_days.first_day
        end as output_start_day,
        case
            when {{ metric_add_days('incremental_start.start_day', -1 * lead_days) }} > entity_first_days.first_day
                then {{ metric_add_days('incremental_start.start_day', -1 * lead_days) }}
            else entity_first_days.first_day
        end as start_day,
        {%- else %}
        entity_first_days.first_day as output_start_day,
        entity_first_days.first_day as start_day,
        {%- endif %}
        data_end.end_day
    from entity_first_days
    cross join data_end
    {%- if is_incremental() %}
    cross join incremental_start
    {%- endif %}
),

windows as (
    {%- for window in windows %}
    select
        '{{ window.name }}' as window_name,
        {%- if window.days is none %}
        cast(null as {{ dbt.type_int() }}) as window_days
        {%- else %}
        {{ window.days }} as window_days
        {%- endif %}
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
),

spine as (
    select
        entity_ranges.entity_type,
        entity_ranges.entity_id,
        cast(sample_day as date) as sample_date
    from entity_ranges
    cross join {{ metric_day_series('entity_ranges.start_day', 'entity_ranges.end_day', 'sample_day') }}
),

{% if is_median -%}
{{ metric_median_ctes(metric) }}
{%- else -%}
{{ metric_delta_ctes(metric) }}
{%- endif %}
{%- if metric.average_days is not none %}

-- The average of the daily value over the {{ metric.average_days }} days ending on each sample day; days before the
-- entity's first event count as zeros.
averaged_series as (
    select
        entity_type,
        entity_id,
        sample_date,
        '{{ metric.average_days }}d' as window_name,
        {{ metric.average_days }} as window_days,
        sum(amount) over (
            partition by entity_type, entity_id
            order by sample_date
            rows between {{ metric.average_days - 1 }} preceding and current row
        ) / {{ metric.average_days }} as amount
    from series
),
{%- endif %}
{%- if metric.requires is not none %}

{{ metric_completeness_ctes(metric) }}
{%- endif %}

final as (
    select
        cast({{ metric_string(metric.name) }} as {{ dbt.type_string() }}) as metric,
        series.entity_type,
        series.entity_id,
        series.sample_date,
        series.window_name as {{ adapter.quote('window') }},
        cast(series.amount as {{ type_double() }}) as amount,
        cast({{ metric_string(metric.unit) }} as {{ dbt.type_string() }}) as unit,
        {%- if metric.requires is none %}
        true as data_complete
        {%- else %}
        coalesce(
            last_incomplete_days.last_incomplete_day is null
            or last_incomplete_days.last_incomplete_day
            <= {{ metric_add_days('series.sample_date', '-1 * series.window_days') }},
            false
        ) as data_complete
        {%- endif %}
    {%- if metric.average_days is not none %}
    from averaged_series as series
    inner join entity_ranges
        on
            series.entity_type = entity_ranges.entity_type
            and series.entity_id = entity_ranges.entity_id
    where series.sample_date >= entity_ranges.output_start_day
    {%- else %}
    from series
    {%- endif %}
    {%- if metric.requires is not none %}
    left join last_incomplete_days
        on series.sample_date = last_incomplete_days.calendar_day
    {%- endif %}
)

{#- On DuckDB the rows are stored by entity, so that the page of one project (a filter on its id, through the
    timeseries_metrics_by_* views) reads its row groups only. An incremental run appends the recomputed months
    sorted the same way. -#}
select * from final
{{ storage_order(['entity_type', 'entity_id', 'sample_date', adapter.quote('window')]) }}
{% endmacro %}

{#- One catalog entry -> one model: the metric's daily timeseries for every project and every collection.

    A row per (entity, sample day, window) from the entity's first event to the last day with data, so a quiet day
    is an explicit zero. `amount` on a sample day D over a window of N days aggregates the events of days
    D-N+1 .. D (the `all` window: every day up to D).

    How: every aggregation but the median is turned into "deltas", +x on the day a contribution enters the window
    and -x on the day it leaves it; the value on D is the running sum of the deltas up to D over the dense day
    spine. A sum enters with its amount and leaves N days later; a distinct member (developer, address) enters
    when it becomes active after more than N quiet days and leaves N days after its last active day; a class of
    members (full-time developers) is entered and left when a member's number of active days in the window
    crosses the class's thresholds. Medians are computed from the items of each window directly.

    Incremental runs recompute, from the whole history, every sample day from the first of the month holding the
    day `metric_lookback_days` (var, default 3) before the next one to build (deltas before the first recomputed
    day add up onto it), so they equal a full refresh as long as no event arrives more than the lookback late. After a backfill of older
    days or a registry change (an artifact moving between projects, a project joining a collection), run
    `dbt build --full-refresh --select marts.metrics`.
-#}
{% macro metric_timeseries(name) %}
{%- set metric = metric_definition(name) -%}
{%- if model.resource_type == 'model' and model.name != name -%}
    {{ exceptions.raise_compiler_error(
        "model '" ~ model.name ~ "' calls metric_timeseries('" ~ name ~ "'): a metric's model is named after it"
    ) }}
{%- endif -%}
{%- set windows = metric_windows(metric.all_time) -%}
{%- if windows | length == 0 -%}
    {{ exceptions.raise_compiler_error("metric '" ~ name ~ "': var metric_windows leaves it no window") }}
{%- endif -%}
{%- set lookback_days = var('metric_lookback_days', 3) | int -%}
{%- if lookback_days < 1 -%}
    {{ exceptions.raise_compiler_error("var metric_lookback_days must be at least 1 (it is " ~ lookback_days ~ ")") }}
{%- endif -%}
{%- set is_median = metric.aggregation == 'median_duration' -%}

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
        end as start_day,
        {%- else %}
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
    from series
    {%- if metric.requires is not none %}
    left join last_incomplete_days
        on series.sample_date = last_incomplete_days.calendar_day
    {%- endif %}
)

select * from final
{% endmacro %}


{#- A catalog text as a SQL string literal, its quotes escaped for the target (doubled on DuckDB, backslashed on
    BigQuery: dbt.escape_single_quotes). -#}
{% macro metric_string(text) -%}
    {{ dbt.string_literal(dbt.escape_single_quotes(text)) }}
{%- endmacro %}


{#- The metric's events, mapped to the projects (through their artifacts) and the collections (through their
    projects) they belong to: entity_events (entity_type, entity_id, event_day, from_artifact_id, to_artifact_id,
    amount). A developer of two projects of one collection is one member of that collection. -#}
{% macro metric_entity_events_ctes(metric) -%}
metric_events as (
    select
        cast(time as date) as event_day,
        to_artifact_id,
        from_artifact_id,
        amount
    from {{ ref('int_events') }}
    where
        event_type in ({% for event_type in metric.event_types %}'{{ event_type }}'{% if not loop.last %}, {% endif %}{% endfor %})
        {%- if metric.exclude_bots %}
        and from_artifact_type != 'BOT'
        {%- endif %}
),

project_events as (
    select
        artifacts_by_project.project_id,
        metric_events.event_day,
        metric_events.from_artifact_id,
        metric_events.to_artifact_id,
        metric_events.amount
    from metric_events
    inner join artifacts_by_project
        on metric_events.to_artifact_id = artifacts_by_project.artifact_id
),

entity_events as (
    select
        'project' as entity_type,
        project_id as entity_id,
        event_day,
        from_artifact_id,
        to_artifact_id,
        amount
    from project_events

    union all

    select
        'collection' as entity_type,
        projects_by_collection.collection_id as entity_id,
        project_events.event_day,
        project_events.from_artifact_id,
        project_events.to_artifact_id,
        project_events.amount
    from project_events
    inner join projects_by_collection
        on project_events.project_id = projects_by_collection.project_id
),
{%- endmacro %}


{#- deltas (entity_type, entity_id, window_name, delta_day, delta), then `series`: the running sum per entity and
    window over the spine. -#}
{% macro metric_delta_ctes(metric) -%}
{{ metric_entity_events_ctes(metric) }}
{%- if metric.aggregation in ['sum', 'count_new_from'] %}
{%- if metric.aggregation == 'sum' %}

daily_amounts as (
    select
        entity_type,
        entity_id,
        event_day,
        sum(amount) as amount
    from entity_events
    group by entity_type, entity_id, event_day
),
{%- else %}

-- A member is new on the day of its first event for the entity (ever, not only in the window).
member_first_days as (
    select
        entity_type,
        entity_id,
        from_artifact_id,
        min(event_day) as first_day
    from entity_events
    group by entity_type, entity_id, from_artifact_id
),

daily_amounts as (
    select
        entity_type,
        entity_id,
        first_day as event_day,
        count(*) as amount
    from member_first_days
    group by entity_type, entity_id, first_day
),
{%- endif %}

-- A day's amount enters every window on that day and leaves a window of N days N days later.
deltas as (
    select
        daily_amounts.entity_type,
        daily_amounts.entity_id,
        windows.window_name,
        daily_amounts.event_day as delta_day,
        daily_amounts.amount as delta
    from daily_amounts
    cross join windows

    union all

    select
        daily_amounts.entity_type,
        daily_amounts.entity_id,
        windows.window_name,
        {{ metric_add_days('daily_amounts.event_day', 'windows.window_days') }} as delta_day,
        -1 * daily_amounts.amount as delta
    from daily_amounts
    cross join windows
    where windows.window_days is not null
),
{%- elif metric.aggregation in ['count_distinct_from', 'count_distinct_to'] %}

member_days as (
    select distinct
        entity_type,
        entity_id,
        {{ 'from_artifact_id' if metric.aggregation == 'count_distinct_from' else 'to_artifact_id' }} as member_id,
        event_day
    from entity_events
),

member_neighbour_days as (
    select
        entity_type,
        entity_id,
        member_id,
        event_day,
        lag(event_day) over (partition by entity_type, entity_id, member_id order by event_day) as previous_day,
        lead(event_day) over (partition by entity_type, entity_id, member_id order by event_day) as next_day
    from member_days
),

-- A member counts on the N days starting at each of its active days (window of N days). Those days form runs:
-- a run starts on an active day with no active day in the N days before it (+1), and ends N days after an
-- active day with no active day in the N days after it (-1). The `all` window starts once and never ends.
deltas as (
    select
        member_neighbour_days.entity_type,
        member_neighbour_days.entity_id,
        windows.window_name,
        member_neighbour_days.event_day as delta_day,
        1 as delta
    from member_neighbour_days
    cross join windows
    where
        member_neighbour_days.previous_day is null
        or (
            windows.window_days is not null
            and {{ metric_add_days('member_neighbour_days.previous_day', 'windows.window_days') }}
            <= member_neighbour_days.event_day
        )

    union all

    select
        member_neighbour_days.entity_type,
        member_neighbour_days.entity_id,
        windows.window_name,
        {{ metric_add_days('member_neighbour_days.event_day', 'windows.window_days') }} as delta_day,
        -1 as delta
    from member_neighbour_days
    cross join windows
    where
        windows.window_days is not null
        and (
            member_neighbour_days.next_day is null
            or member_neighbour_days.next_day
            >= {{ metric_add_days('member_neighbour_days.event_day', 'windows.window_days') }}
        )
),
{%- elif metric.aggregation == 'classify_from' %}

member_days as (
    select distinct
        entity_type,
        entity_id,
        from_artifact_id as member_id,
        event_day
    from entity_events
),

-- A member's number of active days in a window of N days goes up on each active day and down N days later.
member_changes as (
    select
        member_days.entity_type,
        member_days.entity_id,
        member_days.member_id,
        windows.window_name,
        windows.window_days,
        member_days.event_day as change_day,
        1 as change
    from member_days
    cross join windows

    union all

    select
        member_days.entity_type,
        member_days.entity_id,
        member_days.member_id,
        windows.window_name,
        windows.window_days,
        {{ metric_add_days('member_days.event_day', 'windows.window_days') }} as change_day,
        -1 as change
    from member_days
    cross join windows
),

member_change_days as (
    select
        entity_type,
        entity_id,
        member_id,
        window_name,
        window_days,
        change_day,
        sum(change) as change
    from member_changes
    group by entity_type, entity_id, member_id, window_name, window_days, change_day
),

member_active_days as (
    select
        entity_type,
        entity_id,
        member_id,
        window_name,
        window_days,
        change_day,
        sum(change) over (
            partition by entity_type, entity_id, member_id, window_name
            order by change_day
            rows between unbounded preceding and current row
        ) as active_days
    from member_change_days
),

-- In the class from a change day to the next: active, and `x days per 30` means x * N / 30 days in N days.
member_classes as (
    select
        entity_type,
        entity_id,
        member_id,
        window_name,
        change_day,
        case
            when
                active_days >= 1
                {%- if metric.min_days_per_30 is not none %}
                and active_days * 30 >= {{ metric.min_days_per_30 }} * window_days
                {%- endif %}
                {%- if metric.below_days_per_30 is not none %}
                and active_days * 30 < {{ metric.below_days_per_30 }} * window_days
                {%- endif %}
                then 1
            else 0
        end as in_class
    from member_active_days
),

deltas as (
    select
        entity_type,
        entity_id,
        window_name,
        change_day as delta_day,
        in_class - coalesce(
            lag(in_class) over (
                partition by entity_type, entity_id, member_id, window_name order by change_day
            ),
            0
        ) as delta
    from member_classes
),
{%- endif %}

-- Deltas before the first day computed by this run add up onto it; deltas after the last day do not matter.
ranged_deltas as (
    select
        deltas.entity_type,
        deltas.entity_id,
        deltas.window_name,
        case
            when deltas.delta_day < entity_ranges.start_day then entity_ranges.start_day
            else deltas.delta_day
        end as delta_day,
        deltas.delta
    from deltas
    inner join entity_ranges
        on
            deltas.entity_type = entity_ranges.entity_type
            and deltas.entity_id = entity_ranges.entity_id
    where deltas.delta_day <= entity_ranges.end_day
),

day_deltas as (
    select
        entity_type,
        entity_id,
        window_name,
        delta_day,
        sum(delta) as delta
    from ranged_deltas
    group by entity_type, entity_id, window_name, delta_day
),

series as (
    select
        spine.entity_type,
        spine.entity_id,
        spine.sample_date,
        windows.window_name,
        windows.window_days,
        sum(coalesce(day_deltas.delta, 0)) over (
            partition by spine.entity_type, spine.entity_id, windows.window_name
            order by spine.sample_date
            rows between unbounded preceding and current row
        ) as amount
    from spine
    cross join windows
    left join day_deltas
        on
            spine.entity_type = day_deltas.entity_type
            and spine.entity_id = day_deltas.entity_id
            and windows.window_name = day_deltas.window_name
            and spine.sample_date = day_deltas.delta_day
),
{%- endmacro %}


{#- `series` for median_duration: the median over the items completed in each window; NULL when there is none
    (no merged pull request in the window has no time to merge, which is not zero days). -#}
{% macro metric_median_ctes(metric) -%}
-- One row per merged pull request: the day of its merge event and the days from its creation to its merge. A pull
-- request merged after the window it was opened in counts in the windows of its merge day.
merge_events as (
    select
        repo_id,
        pr_number,
        cast(created_at as date) as merge_day,
        cast({{ dbt.datediff('pr_created_at', 'pr_merged_at', 'second') }} as {{ type_double() }}) / 86400 as duration_days,
        row_number() over (partition by repo_id, pr_number order by created_at, event_id) as merge_rank
    from {{ ref('stg_github__pull_requests') }}
    where
        action = 'closed'
        and is_merged
        and pr_created_at is not null
        and pr_merged_at is not null
        {%- if metric.exclude_bots %}
        and not is_bot_actor
        {%- endif %}
),

project_merges as (
    select
        artifacts_by_project.project_id,
        merge_events.merge_day,
        merge_events.duration_days
    from merge_events
    inner join artifacts_by_project
        on merge_events.repo_id = artifacts_by_project.repo_id
    where merge_events.merge_rank = 1
),

entity_merges as (
    select
        'project' as entity_type,
        project_id as entity_id,
        merge_day,
        duration_days
    from project_merges

    union all

    select
        'collection' as entity_type,
        projects_by_collection.collection_id as entity_id,
        project_merges.merge_day,
        project_merges.duration_days
    from project_merges
    inner join projects_by_collection
        on project_merges.project_id = projects_by_collection.project_id
),

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

series as (
    select
        spine.entity_type,
        spine.entity_id,
        spine.sample_date,
        windows.window_name,
        windows.window_days,
        window_medians.median_days as amount
    from spine
    cross join windows
    left join window_medians
        on
            spine.entity_type = window_medians.entity_type
            and spine.entity_id = window_medians.entity_id
            and spine.sample_date = window_medians.sample_date
            and windows.window_name = window_medians.window_name
),
{%- endmacro %}


{#- last_incomplete_days (calendar_day, last_incomplete_day): for each sample day, the latest day up to it whose
    GH Archive payloads lacked what the metric requires (commits or merges; int_github__payload_coverage). A
    window is complete when that day is before the window. -#}
{% macro metric_completeness_ctes(metric) -%}
incomplete_days as (
    select archive_day as incomplete_day
    from {{ ref('int_github__payload_coverage') }}
    where not {{ 'commits_known' if metric.requires == 'commits' else 'merges_known' }}
),

calendar_days as (
    select sample_date as calendar_day
    from spine

    union distinct

    select incomplete_day as calendar_day
    from incomplete_days
),

last_incomplete_days as (
    select
        calendar_days.calendar_day,
        max(incomplete_days.incomplete_day) over (
            order by calendar_days.calendar_day
            rows between unbounded preceding and current row
        ) as last_incomplete_day
    from calendar_days
    left join incomplete_days
        on calendar_days.calendar_day = incomplete_days.incomplete_day
),
{%- endmacro %}

{#- `series` for median_duration: the median over the items completed in each window; NULL when there is none
    (no merged pull request in the window has no time to merge, which is not zero days). -#}
{% macro metric_median_ctes(metric) -%}
{%- set longest_window_days = metric_windows(metric.all_time) | map(attribute='days') | max -%}
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
        {%- if is_incremental() %}
        -- the windows of the days this run computes start after incremental_start - (the longest window)
        and cast(created_at as date) > (
            select {{ metric_add_days('start_day', -1 * longest_window_days) }}
            from incremental_start
        )
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

{{ metric_window_medians_ctes(metric) }}

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

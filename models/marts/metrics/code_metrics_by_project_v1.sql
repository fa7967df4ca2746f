{#- The wide table people read: one row per project, the latest value of each metric and window.
    Its columns are its contract (_metrics__models.yml): each `<metric>_<window>` column declared there is the
    metric's value on the latest sample day, each `<commits|merges>_complete_<window>` column says whether that
    window had the GH Archive data those metrics need. A new catalog metric is in the timeseries marts at once;
    it joins this table when its columns are added to the contract. -#}
{%- set wide = metric_wide_columns(
    model.columns.keys() | list,
    ['project_id', 'project_name', 'display_name', 'sample_date',
     'first_commit_date', 'last_commit_date', 'repository_count'],
    'code_metrics_by_project_v1'
) -%}

with

projects as (
    select
        project_id,
        project_name,
        display_name
    from {{ ref('projects_v1') }}
),

timeseries as (
    select
        project_id,
        metric,
        sample_date,
        {{ adapter.quote('window') }} as window_name,
        amount,
        data_complete
    from {{ ref('timeseries_metrics_by_project_v1') }}
),

events as (
    select
        to_artifact_id,
        event_type,
        time
    from {{ ref('int_events') }}
),

artifacts_by_project as (
    select
        artifact_id,
        artifact_type,
        project_id
    from {{ ref('int_artifacts_by_project') }}
),

latest_day as (
    select max(sample_date) as sample_date
    from timeseries
),

latest_values as (
    select
        timeseries.project_id,
        timeseries.metric,
        timeseries.window_name,
        timeseries.amount,
        timeseries.data_complete
    from timeseries
    inner join latest_day
        on timeseries.sample_date = latest_day.sample_date
),

-- Whether each window of the latest day had the payload data (commits, merges) its metrics need: the same for
-- every project, as GH Archive's coverage is per day. True when no metric needs it.
latest_completeness as (
    select
        {%- for flag in wide.flags %}
        min(
            case
                when
                    window_name = '{{ flag.window }}'
                    and metric in (
                        {%- for metric in flag.metrics %}
                        '{{ metric }}'{{ ',' if not loop.last }}
                        {%- endfor %}
                    )
                    then case when data_complete then 1 else 0 end
            end
        ) as {{ flag.column }},
        {%- endfor %}
        count(*) as latest_rows
    from latest_values
),

project_values as (
    {{ metric_wide_pivot(wide) }}
),

-- A PushEvent carries commits even where GH Archive no longer lists them (since 2025-10-07).
commit_days as (
    select
        artifacts_by_project.project_id,
        min(cast(events.time as date)) as first_commit_date,
        max(cast(events.time as date)) as last_commit_date
    from events
    inner join artifacts_by_project
        on events.to_artifact_id = artifacts_by_project.artifact_id
    where events.event_type in ('COMMIT_CODE', 'PUSH')
    group by artifacts_by_project.project_id
),

repositories as (
    select
        project_id,
        count(distinct artifact_id) as repository_count
    from artifacts_by_project
    where artifact_type = 'REPOSITORY'
    group by project_id
),

final as (
    select
        {{- metric_wide_values(wide) }}
        {%- for flag in wide.flags %}
        coalesce(latest_completeness.{{ flag.column }} = 1, true) as {{ flag.column }},
        {%- endfor %}
        projects.project_id,
        projects.project_name,
        projects.display_name,
        latest_day.sample_date,
        commit_days.first_commit_date,
        commit_days.last_commit_date,
        cast(coalesce(repositories.repository_count, 0) as {{ dbt.type_bigint() }}) as repository_count
    from projects
    cross join latest_day
    cross join latest_completeness
    left join project_values
        on projects.project_id = project_values.project_id
    left join commit_days
        on projects.project_id = commit_days.project_id
    left join repositories
        on projects.project_id = repositories.project_id
)

select * from final

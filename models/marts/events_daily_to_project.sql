{{
    config(
        partition_by=month_partition('bucket_day'),
        cluster_by=cluster_columns(['bucket_day', 'event_source', 'event_type', 'project_id'])
    )
}}

with

daily_artifact_events as (
    select
        artifact_id,
        bucket_day,
        event_source,
        event_type,
        amount,
        event_count
    from {{ ref('events_daily_to_artifact') }}
),

artifacts_by_project as (
    select
        artifact_id,
        project_id,
        project_name
    from {{ ref('int_artifacts_by_project') }}
),

final as (
    select
        artifacts_by_project.project_id,
        artifacts_by_project.project_name,
        daily_artifact_events.bucket_day,
        daily_artifact_events.event_source,
        daily_artifact_events.event_type,
        sum(daily_artifact_events.amount) as amount,
        cast(sum(daily_artifact_events.event_count) as {{ dbt.type_bigint() }}) as event_count
    from daily_artifact_events
    inner join artifacts_by_project
        on daily_artifact_events.artifact_id = artifacts_by_project.artifact_id
    group by
        artifacts_by_project.project_id,
        artifacts_by_project.project_name,
        daily_artifact_events.bucket_day,
        daily_artifact_events.event_source,
        daily_artifact_events.event_type
)

select * from final

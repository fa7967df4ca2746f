{{
    config(
        partition_by=month_partition('event_day'),
        cluster_by=cluster_columns(['event_day', 'repo_id'])
    )
}}

with

issue_events as (
    select
        event_id,
        created_at,
        event_day,
        archive_day,
        repo_id,
        repo_name,
        actor_id,
        actor_login,
        is_bot_actor,
        payload
    from {{ ref('stg_github__events') }}
    where event_type = 'IssuesEvent'
),

parsed as (
    select
        event_id,
        created_at,
        event_day,
        archive_day,
        repo_id,
        repo_name,
        actor_id,
        actor_login,
        is_bot_actor,
        {{ json_scalar('payload', '$.action') }} as action,
        cast({{ json_scalar('payload', '$.issue.number') }} as {{ dbt.type_bigint() }}) as issue_number,
        cast({{ json_scalar('payload', '$.issue.id') }} as {{ dbt.type_bigint() }}) as issue_id
    from issue_events
),

final as (
    select
        event_id,
        created_at,
        event_day,
        archive_day,
        repo_id,
        repo_name,
        actor_id,
        actor_login,
        is_bot_actor,
        action,
        issue_number,
        issue_id
    from parsed
    where action in ('opened', 'closed', 'reopened')
)

select * from final

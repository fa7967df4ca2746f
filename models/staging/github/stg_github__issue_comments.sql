{{
    config(
        partition_by=month_partition('event_day'),
        cluster_by=cluster_columns(['event_day', 'repo_id'])
    )
}}

with

comment_events as (
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
    where event_type = 'IssueCommentEvent'
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
        cast({{ json_scalar('payload', '$.comment.id') }} as {{ dbt.type_bigint() }}) as comment_id,
        -- GitHub treats a pull request as an issue: comments on its conversation are IssueCommentEvents too.
        {{ json_has_path('payload', '$.issue.pull_request') }} as is_on_pull_request
    from comment_events
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
        issue_number,
        comment_id,
        is_on_pull_request
    from parsed
    where action = 'created'
)

select * from final

{{
    config(
        partition_by=month_partition('event_day'),
        cluster_by=cluster_columns(['event_day', 'repo_id'])
    )
}}

with

review_comment_events as (
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
    where event_type = 'PullRequestReviewCommentEvent'
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
        cast(
            coalesce({{ json_scalar('payload', '$.pull_request.number') }}, {{ json_scalar('payload', '$.number') }})
            as {{ dbt.type_bigint() }}
        ) as pr_number,
        cast({{ json_scalar('payload', '$.comment.id') }} as {{ dbt.type_bigint() }}) as comment_id
    from review_comment_events
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
        pr_number,
        comment_id
    from parsed
    where action = 'created'
)

select * from final

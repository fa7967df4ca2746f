{{
    config(
        partition_by=month_partition('event_day'),
        cluster_by=cluster_columns(['event_day', 'repo_id'])
    )
}}

with

pull_request_events as (
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
    where event_type = 'PullRequestEvent'
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
            coalesce({{ json_scalar('payload', '$.number') }}, {{ json_scalar('payload', '$.pull_request.number') }})
            as {{ dbt.type_bigint() }}
        ) as pr_number,
        cast({{ json_scalar('payload', '$.pull_request.id') }} as {{ dbt.type_bigint() }}) as pr_id,
        -- Since 2025-10-07 the payload has no `merged` field: then NULL (unknown), never false.
        case
            when {{ json_has_path('payload', '$.pull_request.merged') }}
                then cast({{ json_scalar('payload', '$.pull_request.merged') }} as boolean)
        end as is_merged,
        {{ dbt.safe_cast(json_scalar('payload', '$.pull_request.created_at'), dbt.type_timestamp()) }}
            as pr_created_at,
        {{ dbt.safe_cast(json_scalar('payload', '$.pull_request.merged_at'), dbt.type_timestamp()) }}
            as pr_merged_at
    from pull_request_events
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
        pr_number,
        pr_id,
        is_merged,
        pr_created_at,
        pr_merged_at
    from parsed
    where action in ('opened', 'closed', 'reopened')
)

select * from final

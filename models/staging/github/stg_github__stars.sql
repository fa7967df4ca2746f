{{
    config(
        partition_by=month_partition('event_day'),
        cluster_by=cluster_columns(['event_day', 'repo_id'])
    )
}}

with

watch_events as (
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
    where event_type = 'WatchEvent'
),

-- A WatchEvent is a star (GitHub kept the old name); `started` is its only action.
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
        is_bot_actor
    from watch_events
    where {{ json_scalar('payload', '$.action') }} = 'started'
)

select * from final

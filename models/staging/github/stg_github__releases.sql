{{
    config(
        partition_by=month_partition('event_day'),
        cluster_by=cluster_columns(['event_day', 'repo_id'])
    )
}}

with

release_events as (
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
    where event_type = 'ReleaseEvent'
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
        cast({{ json_scalar('payload', '$.release.id') }} as {{ dbt.type_bigint() }}) as release_id,
        {{ json_scalar('payload', '$.release.tag_name') }} as tag_name
    from release_events
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
        release_id,
        tag_name
    from parsed
    where action = 'published'
)

select * from final

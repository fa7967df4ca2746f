{{
    config(
        partition_by=month_partition('event_day'),
        cluster_by=cluster_columns(['event_day', 'repo_id'])
    )
}}

with

fork_events as (
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
    where event_type = 'ForkEvent'
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
        cast({{ json_scalar('payload', '$.forkee.id') }} as {{ dbt.type_bigint() }}) as fork_repo_id,
        {{ json_scalar('payload', '$.forkee.full_name') }} as fork_repo_name
    from fork_events
)

select * from final

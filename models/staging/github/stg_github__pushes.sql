{{
    config(
        partition_by=month_partition('event_day'),
        cluster_by=cluster_columns(['event_day', 'repo_id'])
    )
}}

with

push_events as (
    select
        event_id,
        created_at,
        event_day,
        archive_day,
        repo_id,
        actor_login,
        is_bot_actor,
        payload
    from {{ ref('stg_github__events') }}
    where event_type = 'PushEvent'
),

-- What each push lists (at most 20 commits in GH Archive; none from 2025-10-07 on), before commits pushed twice
-- are deduplicated.
listed_commits as (
    select
        push_events.event_id,
        count(*) as listed_commits,
        sum(
            case when {{ json_scalar('commit_json', '$.distinct') }} = 'true' then 1 else 0 end
        ) as listed_distinct_commits
    from push_events
    cross join {{ unnest_json_array('push_events.payload', '$.commits', 'commit_json') }}
    group by push_events.event_id
),

final as (
    select
        push_events.event_id,
        push_events.created_at,
        push_events.event_day,
        push_events.archive_day,
        push_events.repo_id,
        push_events.actor_login,
        push_events.is_bot_actor,
        {{ json_scalar('push_events.payload', '$.ref') }} as pushed_ref,
        cast({{ json_scalar('push_events.payload', '$.size') }} as {{ dbt.type_bigint() }}) as commit_size,
        cast({{ json_scalar('push_events.payload', '$.distinct_size') }} as {{ dbt.type_bigint() }})
            as distinct_size,
        cast(coalesce(listed_commits.listed_commits, 0) as {{ dbt.type_bigint() }}) as listed_commits,
        cast(coalesce(listed_commits.listed_distinct_commits, 0) as {{ dbt.type_bigint() }})
            as listed_distinct_commits
    from push_events
    left join listed_commits
        on push_events.event_id = listed_commits.event_id
)

select * from final

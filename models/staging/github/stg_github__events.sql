{{
    config(
        partition_by=day_partition('event_day'),
        cluster_by=cluster_columns(['event_type', 'repo_id'])
    )
}}

with

-- repo, actor and org are structs (the GH Archive day-table columns); sqlfluff reads `a.b.c` as a table path.
raw_events as (
    select
        raw_events.id,
        raw_events.type,
        raw_events.created_at,
        raw_events.archive_day,
        raw_events.repo.id as repo_id,  -- noqa: RF01
        raw_events.repo.name as repo_name,  -- noqa: RF01
        raw_events.actor.id as actor_id,  -- noqa: RF01
        raw_events.actor.login as actor_login,  -- noqa: RF01
        raw_events.org.login as org_login,  -- noqa: RF01
        raw_events.payload,
        raw_events._source_file,
        raw_events._loaded_at
    from {{ source('github', 'github_events') }} as raw_events
),

-- An event can be loaded twice (the same id in two hourly files, or on two archive days): keep the copy loaded
-- first, then the lowest archive day and file name, so the choice is the same on every run.
ranked_events as (
    select
        id,
        type,
        created_at,
        archive_day,
        repo_id,
        repo_name,
        actor_id,
        actor_login,
        org_login,
        payload,
        row_number() over (
            partition by id
            order by _loaded_at asc nulls last, archive_day asc, _source_file asc nulls last
        ) as copy_rank
    from raw_events
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as event_id,
        type as event_type,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(created_at as date) as event_day,
        archive_day,
        cast(repo_id as {{ dbt.type_bigint() }}) as repo_id,
        repo_name,
        lower({{ dbt.split_part('repo_name', "'/'", 1) }}) as repo_owner,
        cast(actor_id as {{ dbt.type_bigint() }}) as actor_id,
        actor_login,
        org_login,
        payload,
        {{ is_bot_login('actor_login') }} as is_bot_actor
    from ranked_events
    where copy_rank = 1
)

select * from final

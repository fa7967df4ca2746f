with

named_events as (
    select
        repo_id,
        created_at,
        lower(repo_name) as repo_name
    from {{ ref('stg_github__events') }}
    where repo_id is not null and repo_name is not null
),

-- A renamed or transferred repository keeps its id: one row per name it was seen under.
names_seen as (
    select
        repo_id,
        repo_name,
        min(created_at) as first_seen_at,
        max(created_at) as last_seen_at
    from named_events
    group by repo_id, repo_name
),

final as (
    select
        repo_id,
        repo_name,
        first_seen_at,
        last_seen_at,
        lower({{ dbt.split_part('repo_name', "'/'", 1) }}) as repo_owner,
        lower({{ dbt.split_part('repo_name', "'/'", 2) }}) as repo_short_name
    from names_seen
)

select * from final

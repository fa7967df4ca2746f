{{
    config(
        partition_by=month_partition('pushed_day'),
        cluster_by=cluster_columns(['pushed_day', 'repo_id'])
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
        repo_name,
        actor_login,
        payload
    from {{ ref('stg_github__events') }}
    where event_type = 'PushEvent'
),

-- Only payloads from before 2025-10-07 list commits; later pushes yield no rows here.
pushed_commits as (
    select
        push_events.event_id as push_event_id,
        push_events.created_at as pushed_at,
        push_events.event_day as pushed_day,
        push_events.archive_day,
        push_events.repo_id,
        push_events.repo_name,
        push_events.actor_login,
        {{ json_scalar('commit_json', '$.sha') }} as commit_sha,
        lower({{ json_scalar('commit_json', '$.author.email') }}) as author_email,
        {{ json_scalar('commit_json', '$.author.name') }} as author_name,
        cast({{ json_scalar('commit_json', '$.distinct') }} as boolean) as is_distinct
    from push_events
    cross join {{ unnest_json_array('push_events.payload', '$.commits', 'commit_json') }}
),

-- A commit pushed twice (to two branches, or again after a force-push) counts once: keep its first push.
ranked_commits as (
    select
        push_event_id,
        pushed_at,
        pushed_day,
        archive_day,
        repo_id,
        repo_name,
        actor_login,
        commit_sha,
        author_email,
        author_name,
        is_distinct,
        row_number() over (
            partition by repo_id, commit_sha
            order by pushed_at asc, push_event_id asc
        ) as push_rank
    from pushed_commits
    where commit_sha is not null
),

first_pushes as (
    select
        push_event_id,
        pushed_at,
        pushed_day,
        archive_day,
        repo_id,
        repo_name,
        actor_login,
        commit_sha,
        author_email,
        author_name,
        is_distinct,
        -- GitHub's no-reply addresses carry the login: <id>+<login>@users.noreply.github.com or
        -- <login>@users.noreply.github.com. Any other address leaves the login unknown.
        {{ regexp_first_group('author_email', '^(?:[0-9]+[+])?([^@+]+)@users[.]noreply[.]github[.]com$') }}
            as author_login
    from ranked_commits
    where push_rank = 1
),

final as (
    select
        repo_id,
        commit_sha,
        repo_name,
        push_event_id,
        pushed_at,
        pushed_day,
        archive_day,
        actor_login,
        author_email,
        author_name,
        author_login,
        is_distinct,
        {{ is_bot_login('coalesce(author_login, author_name)') }} as is_bot
    from first_pushes
)

select * from final

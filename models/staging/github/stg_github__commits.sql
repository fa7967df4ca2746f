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

-- GitHub's no-reply addresses carry the login: <id>+<login>@users.noreply.github.com or
-- <login>@users.noreply.github.com. Any other address leaves the login unknown.
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
        {{ regexp_first_group('author_email', '^(?:[0-9]+[+])?([^@+]+)@users[.]noreply[.]github[.]com$') }}
            as noreply_local_part
    from ranked_commits
    where push_rank = 1
),

-- GH Archive replaces the local part of commit e-mails by a 40-character hex hash (<40 hex>@gmail.com,
-- <40 hex>@users.noreply.github.com): a GitHub login has at most 39 characters, so a longer local part is a hash,
-- never a login.
authors as (
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
        case when length(noreply_local_part) < 40 then noreply_local_part end as author_login
    from first_pushes
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
        -- A commit author is a bot by the rule logins follow, applied to its login and to its name (GH Archive
        -- keeps names: `dependabot[bot]` commits under a hashed e-mail).
        ({{ is_bot_login('author_login') }} or {{ is_bot_login('author_name') }}) as is_bot
    from authors
)

select * from final

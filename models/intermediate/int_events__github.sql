{{
    config(
        partition_by=month_partition('time', 'timestamp'),
        cluster_by=cluster_columns(['time', 'event_type', 'to_artifact_id'])
    )
}}

with

repositories as (
    select
        artifact_id,
        artifact_namespace,
        artifact_name,
        artifact_type,
        repo_id
    from {{ ref('int_artifacts_by_project') }}
    where artifact_type = 'REPOSITORY' and repo_id is not null
),

-- Commit e-mails linked to the account that pushes their commits, on evidence only (int_github__commit_author_links).
commit_author_links as (
    select
        author_email,
        linked_login
    from {{ ref('int_github__commit_author_links') }}
),

-- One row per atomic event of docs/architecture.md §5, with who did it as a login (an account) or, for a commit author
-- GitHub does not know, an e-mail address.
repository_events as (
    select
        commits.pushed_at as event_time,
        'COMMIT_CODE' as event_type,
        {{ dbt.concat(['cast(commits.repo_id as ' ~ dbt.type_string() ~ ')', "'/'", 'commits.commit_sha']) }}
            as event_source_id,
        commits.repo_id,
        coalesce(commits.author_login, commit_author_links.linked_login) as from_login,
        commits.author_email as from_email,
        commits.is_bot as from_is_bot,
        1 as amount
    from {{ ref('stg_github__commits') }} as commits
    left join commit_author_links
        on commits.author_email = commit_author_links.author_email

    union all

    -- GH Archive lists at most 20 commits of a push: the distinct commits it says the push had (distinct_size)
    -- beyond the distinct ones it lists, by unknown authors, sent by the account that pushed. Counted by
    -- commit_count, never as authors.
    select
        created_at as event_time,
        'COMMIT_CODE_UNLISTED' as event_type,
        {{ dbt.concat(['event_id', "':unlisted'"]) }} as event_source_id,
        repo_id,
        actor_login as from_login,
        cast(null as {{ dbt.type_string() }}) as from_email,
        is_bot_actor as from_is_bot,
        distinct_size - listed_distinct_commits as amount
    from {{ ref('stg_github__pushes') }}
    where
        listed_commits < commit_size
        and distinct_size > listed_distinct_commits
    {#- Every other event type is done by the event's actor: (staging model, event type, source id, filter). The
        merged row exists only where the payload says merged = true: after 2025-10-07 it does not say, and nothing
        is guessed. #}
    {%- set actor_events = [
        ('stg_github__events', "'PUSH'", 'event_id', "event_type = 'PushEvent'"),
        ('stg_github__pull_requests', dbt.concat(["'PULL_REQUEST_'", 'upper(action)']), 'event_id', none),
        ('stg_github__pull_requests', "'PULL_REQUEST_MERGED'", dbt.concat(['event_id', "':merged'"]),
            "action = 'closed' and is_merged"),
        ('stg_github__review_comments', "'PULL_REQUEST_REVIEW_COMMENT'", 'event_id', none),
        ('stg_github__issues', dbt.concat(["'ISSUE_'", 'upper(action)']), 'event_id', none),
        ('stg_github__issue_comments', "'ISSUE_COMMENT'", 'event_id', none),
        ('stg_github__stars', "'STARRED'", 'event_id', none),
        ('stg_github__forks', "'FORKED'", 'event_id', none),
        ('stg_github__releases', "'RELEASE_PUBLISHED'", 'event_id', none),
    ] %}
    {%- for model_name, event_type, source_id, condition in actor_events %}

    union all

    select
        created_at as event_time,
        {{ event_type }} as event_type,
        {{ source_id }} as event_source_id,
        repo_id,
        actor_login as from_login,
        cast(null as {{ dbt.type_string() }}) as from_email,
        is_bot_actor as from_is_bot,
        1 as amount
    from {{ ref(model_name) }}
    {%- if condition %}
    where {{ condition }}
    {%- endif %}
    {%- endfor %}
),

-- A GitHub account is the artifact ('GITHUB', lower(login), NULL); a commit author known only by e-mail is
-- ('GIT', lower(email), NULL).
senders as (
    select
        event_time,
        event_type,
        event_source_id,
        repo_id,
        amount,
        case when from_login is not null then 'GITHUB' else 'GIT' end as from_artifact_source,
        coalesce(lower(from_login), lower(from_email)) as from_artifact_namespace,
        case
            when from_is_bot then 'BOT'
            when from_login is not null then 'GITHUB_USER'
            else 'GIT_EMAIL'
        end as from_artifact_type
    from repository_events
),

final as (
    select
        cast(senders.event_time as {{ dbt.type_timestamp() }}) as time,
        senders.event_type,
        'GITHUB' as event_source,
        senders.event_source_id,
        repositories.artifact_id as to_artifact_id,
        repositories.artifact_namespace as to_artifact_namespace,
        repositories.artifact_name as to_artifact_name,
        repositories.artifact_type as to_artifact_type,
        {{ impact_id(['senders.from_artifact_source', 'senders.from_artifact_namespace', 'null']) }}
            as from_artifact_id,
        senders.from_artifact_namespace,
        cast(null as {{ dbt.type_string() }}) as from_artifact_name,
        senders.from_artifact_type,
        cast(senders.amount as {{ type_amount() }}) as amount
    from senders
    inner join repositories
        on senders.repo_id = repositories.repo_id
)

select * from final

{#- Commit e-mails linked to a GitHub account on evidence in the data, never by guess. GH Archive hashes the local
    part of commit e-mails and keeps the author's name, so most commit authors are an e-mail and a name. An e-mail
    (whose address does not already name a login, and that is not a bot's) is linked to the account L when:
      - every one of its commits (each at its first push to a repository) was pushed by the same account L, and
      - every one of those commits names its author L (the name equals the login, case-insensitively), and
      - L is not a bot.
    One e-mail links to at most one account; several e-mails may link to the same account. An e-mail pushed by two
    accounts, or whose name is not the pusher's login (a display name such as "Ada Lovelace"), stays an e-mail. -#}
with

email_commits as (
    select
        author_email,
        actor_login,
        author_name
    from {{ ref('stg_github__commits') }}
    where
        author_login is null
        and author_email is not null
        and not is_bot
),

evidence as (
    select
        author_email,
        count(*) as commits,
        count(distinct lower(actor_login)) as pushers,
        min(lower(actor_login)) as pusher_login,
        sum(case when lower(author_name) = lower(actor_login) then 1 else 0 end) as commits_named_as_pusher,
        sum(case when actor_login is null then 1 else 0 end) as commits_without_pusher
    from email_commits
    group by author_email
),

final as (
    select
        author_email,
        pusher_login as linked_login,
        cast(commits as {{ dbt.type_bigint() }}) as commits
    from evidence
    where
        pushers = 1
        and commits_without_pusher = 0
        and commits_named_as_pusher = commits
        and not {{ is_bot_login('pusher_login') }}
)

select * from final

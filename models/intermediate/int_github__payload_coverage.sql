with

era_markers as (
    select
        archive_day,
        event_type,
        case
            when event_type = 'PushEvent' then {{ json_has_path('payload', '$.commits') }}
        end as lists_commits,
        case
            when event_type = 'PullRequestEvent' then {{ json_scalar('payload', '$.action') }}
        end as pr_action,
        case
            when event_type = 'PullRequestEvent' then {{ json_has_path('payload', '$.pull_request.merged') }}
        end as has_merged_field
    from {{ ref('stg_github__events') }}
),

day_counts as (
    select
        archive_day,
        sum(case when event_type = 'PushEvent' then 1 else 0 end) as push_events,
        sum(case when event_type = 'PushEvent' and lists_commits then 1 else 0 end) as push_events_with_commits,
        sum(case when pr_action = 'closed' then 1 else 0 end) as closed_pr_events,
        sum(case when pr_action = 'closed' and has_merged_field then 1 else 0 end) as closed_pr_events_with_merged
    from era_markers
    group by archive_day
),

-- What the payloads of the day say, not a hard-coded date: GH Archive stopped listing commits and `merged` on
-- 2025-10-07, and a day is only "known" when every relevant event still carries the field.
final as (
    select
        archive_day,
        cast(push_events as {{ dbt.type_bigint() }}) as push_events,
        cast(push_events_with_commits as {{ dbt.type_bigint() }}) as push_events_with_commits,
        cast(closed_pr_events as {{ dbt.type_bigint() }}) as closed_pr_events,
        cast(closed_pr_events_with_merged as {{ dbt.type_bigint() }}) as closed_pr_events_with_merged,
        push_events_with_commits = push_events as commits_known,
        closed_pr_events_with_merged = closed_pr_events as merges_known
    from day_counts
)

select * from final

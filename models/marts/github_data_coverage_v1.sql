with

coverage as (
    select
        archive_day,
        push_events,
        push_events_with_commits,
        closed_pr_events,
        closed_pr_events_with_merged,
        commits_known,
        merges_known
    from {{ ref('int_github__payload_coverage') }}
),

final as (
    select
        archive_day,
        push_events,
        push_events_with_commits,
        closed_pr_events,
        closed_pr_events_with_merged,
        commits_known,
        merges_known
    from coverage
)

select * from final

-- Every PULL_REQUEST_MERGED event comes from a closing PullRequestEvent whose payload said merged = true:
-- merges are never guessed (after 2025-10-07 GH Archive does not say, and there are none).
with

merged_events as (
    select event_source_id
    from {{ ref('int_events__github') }}
    where event_type = 'PULL_REQUEST_MERGED'
),

merged_pull_requests as (
    select {{ dbt.concat(['event_id', "':merged'"]) }} as event_source_id
    from {{ ref('stg_github__pull_requests') }}
    where action = 'closed' and is_merged
),

final as (
    select merged_events.event_source_id
    from merged_events
    left join merged_pull_requests
        on merged_events.event_source_id = merged_pull_requests.event_source_id
    where merged_pull_requests.event_source_id is null
)

select * from final

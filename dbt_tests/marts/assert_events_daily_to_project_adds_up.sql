-- events_daily_to_project counts every event of int_events exactly once (each artifact has one project): the
-- totals per source and type must agree.
with

event_totals as (
    select
        event_source,
        event_type,
        count(*) as event_count
    from {{ ref('int_events') }}
    group by event_source, event_type
),

mart_totals as (
    select
        event_source,
        event_type,
        sum(event_count) as event_count
    from {{ ref('events_daily_to_project') }}
    group by event_source, event_type
),

final as (
    select
        event_totals.event_count as events_in_int_events,
        mart_totals.event_count as events_in_mart,
        coalesce(event_totals.event_source, mart_totals.event_source) as event_source,
        coalesce(event_totals.event_type, mart_totals.event_type) as event_type
    from event_totals
    full outer join mart_totals
        on
            event_totals.event_source = mart_totals.event_source
            and event_totals.event_type = mart_totals.event_type
    where coalesce(event_totals.event_count, -1) <> coalesce(mart_totals.event_count, -1)
)

select * from final

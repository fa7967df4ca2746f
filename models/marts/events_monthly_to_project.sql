with

daily_project_events as (
    select
        project_id,
        project_name,
        cast({{ dbt.date_trunc('month', 'bucket_day') }} as date) as bucket_month,
        event_source,
        event_type,
        amount,
        event_count
    from {{ ref('events_daily_to_project') }}
),

final as (
    select
        project_id,
        project_name,
        bucket_month,
        event_source,
        event_type,
        sum(amount) as amount,
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as event_count
    from daily_project_events
    group by project_id, project_name, bucket_month, event_source, event_type
)

select * from final

{{
    config(
        partition_by=month_partition('bucket_day'),
        cluster_by=cluster_columns(['bucket_day', 'event_source', 'event_type', 'artifact_id'])
    )
}}

with

events as (
    select
        to_artifact_id,
        cast(time as date) as bucket_day,
        event_source,
        event_type,
        amount
    from {{ ref('int_events') }}
),

final as (
    select
        to_artifact_id as artifact_id,
        bucket_day,
        event_source,
        event_type,
        sum(amount) as amount,
        cast(count(*) as {{ dbt.type_bigint() }}) as event_count
    from events
    group by to_artifact_id, bucket_day, event_source, event_type
)

select * from final

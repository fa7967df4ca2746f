{#- Bot-like senders among the kept transactions (thresholds in the seed address_bot_thresholds):
    MANY_TRANSACTIONS_IN_ONE_HOUR: at least N transactions in one clock hour (UTC);
    ACTIVE_MOST_HOURS_OF_A_WEEK: active (at least one transaction) in at least M of the 168 hours of some week,
    i.e. of any 168 consecutive hours, the window ending at each active hour. -#}

with

thresholds as (
    select
        cast(min_transactions_in_one_hour as {{ dbt.type_bigint() }}) as min_transactions_in_one_hour,
        cast(min_active_hours_in_one_week as {{ dbt.type_bigint() }}) as min_active_hours_in_one_week
    from {{ ref('address_bot_thresholds') }}
),

sender_hours as (
    select
        from_address as address,
        {{ dbt.date_trunc('hour', 'block_timestamp') }} as hour_start,
        count(*) as transaction_count
    from {{ ref('stg_optimism__transactions') }}
    group by from_address, {{ dbt.date_trunc('hour', 'block_timestamp') }}
),

numbered_hours as (
    select
        address,
        hour_start,
        transaction_count,
        {{ dbt.datediff("cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")", 'hour_start', 'hour') }}
            as hour_number
    from sender_hours
),

-- For each active hour, how many of the 168 hours ending with it (a week) the address was active in.
weekly_activity as (
    select
        address,
        hour_start,
        count(*) over (
            partition by address
            order by hour_number
            range between 167 preceding and current row
        ) as active_hours_in_week
    from numbered_hours
),

flagged_hours as (
    select
        numbered_hours.address,
        'MANY_TRANSACTIONS_IN_ONE_HOUR' as reason,
        numbered_hours.hour_start
    from numbered_hours
    cross join thresholds
    where numbered_hours.transaction_count >= thresholds.min_transactions_in_one_hour

    union all

    select
        weekly_activity.address,
        'ACTIVE_MOST_HOURS_OF_A_WEEK' as reason,
        weekly_activity.hour_start
    from weekly_activity
    cross join thresholds
    where weekly_activity.active_hours_in_week >= thresholds.min_active_hours_in_one_week
),

final as (
    select
        address,
        reason,
        cast(min(hour_start) as date) as first_flagged_day
    from flagged_hours
    group by address, reason
)

select * from final

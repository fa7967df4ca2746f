{#- Bot senders among the kept transactions, by OSO's two-pass heuristic (thresholds in the seed
    address_bot_thresholds, one documented column each; docs/architecture.md §5).
    Weeks are calendar weeks, Monday 00:00 UTC to Sunday 23:59; a sender's active hours are the UTC clock hours
    with at least one transaction it paid gas for.
    First pass, per sender and week: the week is suspicious when one hour holds at least
    first_pass_min_transactions_in_one_hour transactions, or the sender is active in at least
    first_pass_min_share_of_hours_active of the week's 168 hours.
    Second pass, over a sender's suspicious weeks only: it is a bot when one of six rules holds (the reason). A busy
    person who passes the first test once, and none of the second, stays a user. -#}

with

thresholds as (
    select
        first_pass_min_transactions_in_one_hour,
        first_pass_min_share_of_hours_active,
        busy_week_min_transactions,
        busy_week_min_transactions_in_one_hour,
        very_busy_week_min_transactions,
        very_busy_week_min_transactions_in_one_hour,
        min_average_weekly_transactions,
        long_running_min_hours,
        long_running_min_transactions,
        above_average_share_of_hours_active,
        above_peak_share_of_hours_active
    from {{ ref('address_bot_thresholds') }}
),

paid_transactions as (
    select
        from_address as address,
        block_timestamp
    from {{ ref('stg_optimism__transactions') }}
    where
        coalesce(gas_used, 0) > 0
        and coalesce(effective_gas_price_wei, 0) > 0
),

sender_hours as (
    select
        address,
        {{ dbt.date_trunc('hour', 'block_timestamp') }} as hour_start,
        count(*) as transaction_count,
        min(block_timestamp) as first_at,
        max(block_timestamp) as last_at
    from paid_transactions
    group by address, {{ dbt.date_trunc('hour', 'block_timestamp') }}
),

numbered_hours as (
    select
        address,
        transaction_count,
        first_at,
        last_at,
        {{ dbt.datediff("cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")", 'hour_start', 'hour') }}
            as hour_number
    from sender_hours
),

-- Hours counted from 1970-01-05 00:00 UTC, the first Monday after the epoch (96 hours in), so that 168 of them make
-- one calendar week on both engines (their own week truncation starts weeks on different days).
sender_weeks as (
    select
        address,
        cast(floor((hour_number - 96) / 168.0) as {{ dbt.type_bigint() }}) as week_number,
        transaction_count,
        first_at,
        last_at
    from numbered_hours
),

weeks as (
    select
        address,
        week_number,
        sum(transaction_count) as week_transactions,
        max(transaction_count) as max_hour_transactions,
        cast(count(*) as {{ type_double() }}) / 168 as share_of_hours_active,
        min(first_at) as first_at,
        max(last_at) as last_at
    from sender_weeks
    group by address, week_number
),

suspicious_weeks as (
    select
        weeks.address,
        weeks.week_transactions,
        weeks.max_hour_transactions,
        weeks.share_of_hours_active,
        weeks.first_at,
        weeks.last_at
    from weeks
    cross join thresholds
    where
        weeks.max_hour_transactions >= thresholds.first_pass_min_transactions_in_one_hour
        or weeks.share_of_hours_active >= thresholds.first_pass_min_share_of_hours_active
),

suspects as (
    select
        address,
        max(week_transactions) as max_week_transactions,
        max(max_hour_transactions) as max_hour_transactions,
        avg(cast(week_transactions as {{ type_double() }})) as average_week_transactions,
        sum(week_transactions) as transaction_total,
        max(share_of_hours_active) as peak_share_of_hours_active,
        avg(share_of_hours_active) as average_share_of_hours_active,
        min(first_at) as first_at,
        max(last_at) as last_at
    from suspicious_weeks
    group by address
),

suspects_with_span as (
    select
        address,
        max_week_transactions,
        max_hour_transactions,
        average_week_transactions,
        transaction_total,
        peak_share_of_hours_active,
        average_share_of_hours_active,
        first_at,
        {{ dbt.datediff('first_at', 'last_at', 'second') }} as active_span_seconds  -- noqa: LT05
    from suspects
),

flagged as (
    select
        suspects.address,
        'BUSY_WEEK' as reason,
        suspects.first_at
    from suspects_with_span as suspects
    cross join thresholds
    where
        suspects.max_week_transactions >= thresholds.busy_week_min_transactions
        and suspects.max_hour_transactions >= thresholds.busy_week_min_transactions_in_one_hour

    union all

    select
        suspects.address,
        'VERY_BUSY_WEEK' as reason,
        suspects.first_at
    from suspects_with_span as suspects
    cross join thresholds
    where
        suspects.max_week_transactions >= thresholds.very_busy_week_min_transactions
        and suspects.max_hour_transactions >= thresholds.very_busy_week_min_transactions_in_one_hour

    union all

    select
        suspects.address,
        'MANY_TRANSACTIONS_EVERY_WEEK' as reason,
        suspects.first_at
    from suspects_with_span as suspects
    cross join thresholds
    where suspects.average_week_transactions >= thresholds.min_average_weekly_transactions

    union all

    select
        suspects.address,
        'LONG_RUNNING' as reason,
        suspects.first_at
    from suspects_with_span as suspects
    cross join thresholds
    where
        suspects.active_span_seconds >= 3600 * thresholds.long_running_min_hours
        and suspects.transaction_total >= thresholds.long_running_min_transactions

    union all

    select
        suspects.address,
        'ACTIVE_MOST_HOURS_ON_AVERAGE' as reason,
        suspects.first_at
    from suspects_with_span as suspects
    cross join thresholds
    where suspects.average_share_of_hours_active > thresholds.above_average_share_of_hours_active

    union all

    select
        suspects.address,
        'ACTIVE_ALMOST_EVERY_HOUR' as reason,
        suspects.first_at
    from suspects_with_span as suspects
    cross join thresholds
    where suspects.peak_share_of_hours_active > thresholds.above_peak_share_of_hours_active
),

final as (
    select
        address,
        reason,
        cast(first_at as date) as first_flagged_day
    from flagged
)

select * from final

{#- deltas (entity_type, entity_id, window_name, delta_day, delta), then `series`: the running sum per entity and
    window over the spine. -#}
{% macro metric_delta_ctes(metric) -%}
{{ metric_entity_events_ctes(metric) }}
{%- if metric.aggregation in ['sum', 'count_new_from'] %}
{%- if metric.aggregation == 'sum' %}

daily_amounts as (
    select
        entity_type,
        entity_id,
        event_day,
        sum(amount) as amount
    from entity_events
    group by entity_type, entity_id, event_day
),
{%- else %}

-- A member is new on the day of its first event for the entity (ever, not only in the window).
member_first_days as (
    select
        entity_type,
        entity_id,
        from_artifact_id,
        min(event_day) as first_day
    from entity_events
    group by entity_type, entity_id, from_artifact_id
),

daily_amounts as (
    select
        entity_type,
        entity_id,
        first_day as event_day,
        count(*) as amount
    from member_first_days
    group by entity_type, entity_id, first_day
),
{%- endif %}

-- A day's amount enters every window on that day and leaves a window of N days N days later.
deltas as (
    select
        daily_amounts.entity_type,
        daily_amounts.entity_id,
        windows.window_name,
        daily_amounts.event_day as delta_day,
        daily_amounts.amount as delta
    from daily_amounts
    cross join windows

    union all

    select
        daily_amounts.entity_type,
        daily_amounts.entity_id,
        windows.window_name,
        {{ metric_add_days('daily_amounts.event_day', 'windows.window_days') }} as delta_day,
        -1 * daily_amounts.amount as delta
    from daily_amounts
    cross join windows
    where windows.window_days is not null
),
{%- else %}
{#- Distinct members, and classes of members, by the number of days each was active in the window. For a window
    of N days and a threshold of k days: with a member's active days a_1 < a_2 < ..., it has at least k active
    days in the window of D exactly on the days of [a_j, a_(j-k+1) + N) for some j >= k. Those intervals grow with
    j, so their union is a series of runs: a run starts on a_j when the interval of j-1 ended by then (a_(j-k) + N
    <= a_j, or j = k) and ends on a_(j-k+1) + N when a_(j+1) comes no earlier. Distinct members are k = 1. A class
    between two thresholds (k_min <= days < k_below) is the members with k_min days minus those with k_below:
    signs +1 and -1. The `all` window counts a member from its first active day on. Returning members
    (count_returning_from) are the distinct members minus the new ones: a member's first active day ever, F, is in
    the window of D exactly for D in [F, F + N), so each member adds -1 on F and +1 on F + N to the k = 1 runs. -#}
{%- set member_column = 'to_artifact_id' if metric.aggregation == 'count_distinct_to' else 'from_artifact_id' -%}
{%- set windows = metric_computed_windows(metric) -%}
{%- set finite_windows = windows | rejectattr('days', 'none') | list -%}
{%- set thresholds = [] -%}
{%- for window in finite_windows -%}
    {%- if metric.aggregation == 'classify_from' and metric.window_days is not none -%}
        {#- days of the metric's own fixed window: at least min_days (else 1), fewer than below_days -#}
        {%- set k_min = metric.min_days if metric.min_days is not none else 1 -%}
        {%- set k_below = metric.below_days -%}
        {%- if k_below is none or k_below > k_min -%}
            {%- do thresholds.append({'window': window, 'k': k_min | int, 'sign': 1}) -%}
            {%- if k_below is not none -%}
                {%- do thresholds.append({'window': window, 'k': k_below | int, 'sign': -1}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- elif metric.aggregation == 'classify_from' -%}
        {#- x days per 30 in N days: at least ceil(x * N / 30) days; no minimum: at least one day -#}
        {%- set k_min = 1 if metric.min_days_per_30 is none else [1, (metric.min_days_per_30 * window.days + 29) // 30] | max -%}
        {%- set k_below = none if metric.below_days_per_30 is none else (metric.below_days_per_30 * window.days + 29) // 30 -%}
        {%- if k_below is none or k_below > k_min -%}
            {%- do thresholds.append({'window': window, 'k': k_min | int, 'sign': 1}) -%}
            {%- if k_below is not none -%}
                {%- do thresholds.append({'window': window, 'k': k_below | int, 'sign': -1}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- else -%}
        {%- do thresholds.append({'window': window, 'k': 1, 'sign': 1}) -%}
    {%- endif -%}
{%- endfor -%}
{%- set lags = [] -%}
{%- for threshold in thresholds -%}
    {%- for offset in [threshold.k - 1, threshold.k] if offset > 0 and offset not in lags -%}
        {%- do lags.append(offset) -%}
    {%- endfor -%}
{%- endfor -%}
{#- An average over `average_days` days needs the daily values of the days before the first one it reports. -#}
{%- set longest_window_days = (finite_windows | map(attribute='days') | max if finite_windows else 0)
    + (metric.average_days - 1 if metric.average_days is not none else 0) -%}
{%- set has_all = windows | selectattr('days', 'none') | list | length > 0 %}
{%- set is_returning = metric.aggregation == 'count_returning_from' %}
{%- if has_all or is_returning %}

-- A member's first active day over the whole history: the `all` window counts it from then on; a returning member
-- is one whose first day is before the window.
member_first_days as (
    select
        entity_type,
        entity_id,
        {{ member_column }} as member_id,
        min(event_day) as first_day
    from entity_events
    group by entity_type, entity_id, {{ member_column }}
),
{%- endif %}
{%- if thresholds %}

-- The windows of a sample day D hold the days after D - N only: an incremental run, which computes the days from
-- incremental_start on, needs the active days after incremental_start - (the longest window) and no earlier ones.
member_days as (
    select distinct
        entity_type,
        entity_id,
        {{ member_column }} as member_id,
        event_day
    from entity_events
    {%- if is_incremental() %}
    where
        event_day > (
            select {{ metric_add_days('start_day', -1 * longest_window_days) }}
            from incremental_start
        )
    {%- endif %}
),

member_day_neighbours as (
    select
        entity_type,
        entity_id,
        member_id,
        event_day,
        {%- for offset in lags | sort %}
        lag(event_day, {{ offset }}) over (
            partition by entity_type, entity_id, member_id order by event_day
        ) as active_day_{{ offset }}_before,
        {%- endfor %}
        lead(event_day) over (partition by entity_type, entity_id, member_id order by event_day) as next_day
    from member_days
),

thresholds as (
    {%- for threshold in thresholds %}
    select
        '{{ threshold.window.name }}' as window_name,
        {{ threshold.window.days }} as window_days,
        {{ threshold.k }} as threshold_days,
        {{ threshold.sign }} as sign
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
),

-- Per active day a_j and threshold k: a_(j-k+1) (run_day) and a_(j-k) (previous_run_day).
member_runs as (
    select
        member_day_neighbours.entity_type,
        member_day_neighbours.entity_id,
        thresholds.window_name,
        thresholds.window_days,
        thresholds.sign,
        member_day_neighbours.event_day,
        member_day_neighbours.next_day,
        case thresholds.threshold_days
            {%- for k in thresholds | map(attribute='k') | unique %}
            when {{ k }} then member_day_neighbours.{{ 'event_day' if k == 1 else 'active_day_' ~ (k - 1) ~ '_before' }}
            {%- endfor %}
        end as run_day,
        case thresholds.threshold_days
            {%- for k in thresholds | map(attribute='k') | unique %}
            when {{ k }} then member_day_neighbours.active_day_{{ k }}_before
            {%- endfor %}
        end as previous_run_day
    from member_day_neighbours
    cross join thresholds
),

-- Only the days whose interval is not empty: k active days within the window (always so for k = 1).
member_intervals as (
    select
        entity_type,
        entity_id,
        window_name,
        window_days,
        sign,
        event_day,
        next_day,
        previous_run_day,
        {{ metric_add_days('run_day', 'window_days') }} as run_end_day
    from member_runs
    where
        run_day is not null
        and {{ metric_add_days('run_day', 'window_days') }} > event_day
),
{%- endif %}

deltas as (
    {%- if thresholds %}
    select
        entity_type,
        entity_id,
        window_name,
        event_day as delta_day,
        sign as delta
    from member_intervals
    where
        previous_run_day is null
        or {{ metric_add_days('previous_run_day', 'window_days') }} <= event_day

    union all

    select
        entity_type,
        entity_id,
        window_name,
        run_end_day as delta_day,
        -1 * sign as delta
    from member_intervals
    where next_day is null or next_day >= run_end_day
    {%- endif %}
    {%- if has_all %}
    {%- if thresholds %}

    union all
    {% endif %}
    select
        entity_type,
        entity_id,
        'all' as window_name,
        first_day as delta_day,
        1 as delta
    from member_first_days
    {%- endif %}
    {%- if is_returning %}

    union all

    -- Not returning while its first day is in the window: -1 on that day, +1 N days later, when it leaves.
    select
        member_first_days.entity_type,
        member_first_days.entity_id,
        windows.window_name,
        member_first_days.first_day as delta_day,
        -1 as delta
    from member_first_days
    cross join windows
    where windows.window_days is not null

    union all

    select
        member_first_days.entity_type,
        member_first_days.entity_id,
        windows.window_name,
        {{ metric_add_days('member_first_days.first_day', 'windows.window_days') }} as delta_day,
        1 as delta
    from member_first_days
    cross join windows
    where windows.window_days is not null
    {%- endif %}
    {%- if not thresholds and not has_all %}
    -- No window leaves this class any member (its thresholds cross): no delta.
    select
        entity_type,
        entity_id,
        'none' as window_name,
        event_day as delta_day,
        0 as delta
    from entity_events
    where false
    {%- endif %}
),
{%- endif %}

-- Deltas before the first day computed by this run add up onto it; deltas after the last day do not matter.
ranged_deltas as (
    select
        deltas.entity_type,
        deltas.entity_id,
        deltas.window_name,
        case
            when deltas.delta_day < entity_ranges.start_day then entity_ranges.start_day
            else deltas.delta_day
        end as delta_day,
        deltas.delta
    from deltas
    inner join entity_ranges
        on
            deltas.entity_type = entity_ranges.entity_type
            and deltas.entity_id = entity_ranges.entity_id
    where deltas.delta_day <= entity_ranges.end_day
),

day_deltas as (
    select
        entity_type,
        entity_id,
        window_name,
        delta_day,
        sum(delta) as delta
    from ranged_deltas
    group by entity_type, entity_id, window_name, delta_day
),

series as (
    select
        spine.entity_type,
        spine.entity_id,
        spine.sample_date,
        windows.window_name,
        windows.window_days,
        sum(coalesce(day_deltas.delta, 0)) over (
            partition by spine.entity_type, spine.entity_id, windows.window_name
            order by spine.sample_date
            rows between unbounded preceding and current row
        ) as amount
    from spine
    cross join windows
    left join day_deltas
        on
            spine.entity_type = day_deltas.entity_type
            and spine.entity_id = day_deltas.entity_id
            and windows.window_name = day_deltas.window_name
            and spine.sample_date = day_deltas.delta_day
),
{%- endmacro %}

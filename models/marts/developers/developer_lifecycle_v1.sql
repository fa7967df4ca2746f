{#- Per project and collection and month: how many developers are in each lifecycle state (int_developer_months),
    and the active ones by tenure. -#}
with

developer_months as (
    select
        entity_type,
        entity_id,
        activity_month,
        state,
        tenure_months
    from {{ ref('int_developer_months') }}
),

data_end as (
    select cast(max(time) as date) as end_day
    from {{ ref('int_events') }}
),

counts as (
    select
        entity_type,
        entity_id,
        activity_month,
        sum(case when state = 'first' then 1 else 0 end) as first_month_developers,
        sum(case when state = 'full_time' then 1 else 0 end) as full_time_developers,
        sum(case when state = 'part_time' then 1 else 0 end) as part_time_developers,
        sum(case when state = 'returning' then 1 else 0 end) as returning_developers,
        sum(case when state = 'dormant' then 1 else 0 end) as dormant_developers,
        sum(case when state = 'churned' then 1 else 0 end) as churned_developers,
        sum(
            case when state in ('first', 'full_time', 'part_time', 'returning') then 1 else 0 end
        ) as active_developers,
        sum(
            case
                when state in ('first', 'full_time', 'part_time', 'returning') and tenure_months < 12 then 1
                else 0
            end
        ) as tenure_under_1_year,
        sum(
            case
                when
                    state in ('first', 'full_time', 'part_time', 'returning')
                    and tenure_months >= 12
                    and tenure_months < 24
                    then 1
                else 0
            end
        ) as tenure_1_to_2_years,
        sum(
            case
                when state in ('first', 'full_time', 'part_time', 'returning') and tenure_months >= 24 then 1
                else 0
            end
        ) as tenure_2_years_or_more
    from developer_months
    group by entity_type, entity_id, activity_month
),

final as (
    select
        counts.entity_type,
        counts.entity_id,
        counts.activity_month,
        cast({{ dbt.dateadd('month', 1, 'counts.activity_month') }} as date)
        <= {{ metric_add_days('data_end.end_day', 1) }} as month_complete,
        cast(counts.active_developers as {{ dbt.type_bigint() }}) as active_developers,
        cast(counts.first_month_developers as {{ dbt.type_bigint() }}) as first_month_developers,
        cast(counts.full_time_developers as {{ dbt.type_bigint() }}) as full_time_developers,
        cast(counts.part_time_developers as {{ dbt.type_bigint() }}) as part_time_developers,
        cast(counts.returning_developers as {{ dbt.type_bigint() }}) as returning_developers,
        cast(counts.dormant_developers as {{ dbt.type_bigint() }}) as dormant_developers,
        cast(counts.churned_developers as {{ dbt.type_bigint() }}) as churned_developers,
        cast(counts.tenure_under_1_year as {{ dbt.type_bigint() }}) as tenure_under_1_year,
        cast(counts.tenure_1_to_2_years as {{ dbt.type_bigint() }}) as tenure_1_to_2_years,
        cast(counts.tenure_2_years_or_more as {{ dbt.type_bigint() }}) as tenure_2_years_or_more
    from counts
    cross join data_end
)

select * from final

{#- Every developer's state in every month, per project and per collection, from the month of their first push to
    the entity to the month of the last day loaded. A developer is a non-bot account that pushed to one of the
    entity's repositories (as active_developer_count). Each month's state uses that month and the ones before it
    only, never later data: a developer whose data simply ends is not churned by it.
      first      active, in the month of their first push (in the loaded data)
      full_time  active on at least 10 distinct days of the month
      part_time  active on 1 to 9 days of the month
      returning  active after being churned (inactive in the two months before)
      dormant    inactive this month, active the month before
      churned    inactive this month and the month before (after having been active)
    Tenure: whole months from the first active month. -#}
with

artifacts_by_project as (
    select
        artifact_id,
        project_id
    from {{ ref('int_artifacts_by_project') }}
),

projects_by_collection as (
    select
        collection_id,
        project_id
    from {{ ref('int_projects_by_collection') }}
),

data_end as (
    select cast(max(time) as date) as end_day
    from {{ ref('int_events') }}
),

project_push_days as (
    select distinct
        artifacts_by_project.project_id,
        int_events.from_artifact_id as developer_id,
        cast(int_events.time as date) as push_day
    from {{ ref('int_events') }} as int_events
    inner join artifacts_by_project
        on int_events.to_artifact_id = artifacts_by_project.artifact_id
    where
        int_events.event_type = 'PUSH'
        and int_events.from_artifact_type != 'BOT'
),

entity_push_days as (
    select
        'project' as entity_type,
        project_id as entity_id,
        developer_id,
        push_day
    from project_push_days

    union distinct

    select
        'collection' as entity_type,
        projects_by_collection.collection_id as entity_id,
        project_push_days.developer_id,
        project_push_days.push_day
    from project_push_days
    inner join projects_by_collection
        on project_push_days.project_id = projects_by_collection.project_id
),

active_months as (
    select
        entity_type,
        entity_id,
        developer_id,
        cast({{ dbt.date_trunc('month', 'push_day') }} as date) as activity_month,
        count(*) as active_days
    from entity_push_days
    group by entity_type, entity_id, developer_id, cast({{ dbt.date_trunc('month', 'push_day') }} as date)
),

first_months as (
    select
        entity_type,
        entity_id,
        developer_id,
        min(activity_month) as first_month
    from active_months
    group by entity_type, entity_id, developer_id
),

bounds as (
    select
        min(first_months.first_month) as start_month,
        max(data_end.end_day) as end_day
    from first_months
    cross join data_end
),

-- One row per month from the first developer month to the month of the last day loaded.
months as (
    select cast(month_day as date) as activity_month  -- noqa: RF03
    from bounds
    cross join {{ metric_day_series('bounds.start_month', 'bounds.end_day', 'month_day') }}
    where cast(month_day as date) = cast({{ dbt.date_trunc('month', 'month_day') }} as date)  -- noqa: RF03
),

developer_months as (
    select
        first_months.entity_type,
        first_months.entity_id,
        first_months.developer_id,
        first_months.first_month,
        months.activity_month,
        coalesce(active_months.active_days, 0) as active_days
    from first_months
    inner join months
        on first_months.first_month <= months.activity_month
    left join active_months
        on
            first_months.entity_type = active_months.entity_type
            and first_months.entity_id = active_months.entity_id
            and first_months.developer_id = active_months.developer_id
            and months.activity_month = active_months.activity_month
),

-- The activity of the two months before (dense months: lag 1 is the month before). Before the first month: none.
with_history as (
    select
        entity_type,
        entity_id,
        developer_id,
        first_month,
        activity_month,
        active_days,
        coalesce(lag(active_days, 1) over (
            partition by entity_type, entity_id, developer_id order by activity_month
        ), 0) as active_days_1_before,
        coalesce(lag(active_days, 2) over (
            partition by entity_type, entity_id, developer_id order by activity_month
        ), 0) as active_days_2_before
    from developer_months
),

states as (
    select
        entity_type,
        entity_id,
        developer_id,
        activity_month,
        active_days,
        {{ dbt.datediff('first_month', 'activity_month', 'month') }} as tenure_months,  -- noqa: LT05
        case
            when active_days > 0 and activity_month = first_month then 'first'
            when
                active_days > 0 and active_days_1_before = 0 and active_days_2_before = 0
                then 'returning'
            when active_days >= 10 then 'full_time'
            when active_days > 0 then 'part_time'
            when active_days_1_before > 0 then 'dormant'
            else 'churned'
        end as state
    from with_history
),

final as (
    select
        entity_type,
        entity_id,
        developer_id,
        activity_month,
        cast(active_days as {{ dbt.type_bigint() }}) as active_days,
        cast(tenure_months as {{ dbt.type_bigint() }}) as tenure_months,
        state,
        lag(state) over (
            partition by entity_type, entity_id, developer_id order by activity_month
        ) as previous_state
    from states
)

select * from final

{#- Per project and collection and month: how many developers moved from one lifecycle state (last month) to
    another (this month), int_developer_months. A developer's first month has no previous state: not a transition. -#}
with

developer_months as (
    select
        entity_type,
        entity_id,
        activity_month,
        previous_state,
        state
    from {{ ref('int_developer_months') }}
    where previous_state is not null
),

final as (
    select
        entity_type,
        entity_id,
        activity_month,
        previous_state as from_state,
        state as to_state,
        cast(count(*) as {{ dbt.type_bigint() }}) as developers
    from developer_months
    group by entity_type, entity_id, activity_month, previous_state, state
)

select * from final

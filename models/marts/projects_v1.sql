with

projects as (
    select
        project_id,
        project_name,
        display_name,
        description
    from {{ ref('stg_registry__projects') }}
),

final as (
    select
        project_id,
        project_name,
        display_name,
        description
    from projects
)

select * from final

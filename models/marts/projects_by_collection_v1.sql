with

projects_by_collection as (
    select
        collection_id,
        collection_name,
        project_id,
        project_name
    from {{ ref('int_projects_by_collection') }}
),

final as (
    select
        collection_id,
        collection_name,
        project_id,
        project_name
    from projects_by_collection
)

select * from final

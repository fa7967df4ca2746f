with

raw_members as (
    select distinct
        collection_name,
        project_name
    from {{ source('registry', 'registry_collections') }}
    where project_name is not null
),

final as (
    select
        {{ impact_id(["'COLLECTION'", 'collection_name']) }} as collection_id,
        collection_name,
        {{ impact_id(["'PROJECT'", 'project_name']) }} as project_id,
        project_name
    from raw_members
)

select * from final

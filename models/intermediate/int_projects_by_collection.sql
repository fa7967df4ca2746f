with

members as (
    select
        collection_id,
        collection_name,
        project_id,
        project_name
    from {{ ref('stg_registry__collection_members') }}
),

projects as (
    select project_id
    from {{ ref('stg_registry__projects') }}
),

-- Only members that are projects of the registry (a collection naming an unknown project is a registry error the
-- registry step reports; it is not carried into the marts).
final as (
    select
        members.collection_id,
        members.collection_name,
        members.project_id,
        members.project_name
    from members
    inner join projects
        on members.project_id = projects.project_id
)

select * from final

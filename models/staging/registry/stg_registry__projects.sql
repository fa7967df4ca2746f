with

raw_projects as (
    select
        project_name,
        display_name,
        description,
        _source_file,
        _loaded_at
    from {{ source('registry', 'registry_projects') }}
),

-- One row per project even if a load left two copies: the latest load wins.
ranked_projects as (
    select
        project_name,
        display_name,
        description,
        row_number() over (
            partition by project_name
            order by _loaded_at desc nulls last, _source_file asc nulls last
        ) as copy_rank
    from raw_projects
),

final as (
    select
        {{ impact_id(["'PROJECT'", 'project_name']) }} as project_id,
        project_name,
        display_name,
        description
    from ranked_projects
    where copy_rank = 1
)

select * from final

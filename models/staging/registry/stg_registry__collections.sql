with

raw_collections as (
    select
        collection_name,
        display_name,
        description,
        _source_file,
        _loaded_at
    from {{ source('registry', 'registry_collections') }}
),

-- The raw table has one row per collection x member: keep one per collection, from the latest load.
ranked_collections as (
    select
        collection_name,
        display_name,
        description,
        row_number() over (
            partition by collection_name
            order by _loaded_at desc nulls last, _source_file asc nulls last
        ) as copy_rank
    from raw_collections
),

final as (
    select
        {{ impact_id(["'COLLECTION'", 'collection_name']) }} as collection_id,
        collection_name,
        display_name,
        description
    from ranked_collections
    where copy_rank = 1
)

select * from final

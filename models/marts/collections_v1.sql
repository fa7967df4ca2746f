with

collections as (
    select
        collection_id,
        collection_name,
        display_name,
        description
    from {{ ref('stg_registry__collections') }}
),

final as (
    select
        collection_id,
        collection_name,
        display_name,
        description
    from collections
)

select * from final

with

artifacts as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        artifact_url
    from {{ ref('int_artifacts') }}
),

final as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        artifact_url
    from artifacts
)

select * from final

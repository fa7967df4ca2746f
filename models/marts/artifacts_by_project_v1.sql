with

artifacts_by_project as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        project_id,
        project_name
    from {{ ref('int_artifacts_by_project') }}
),

final as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        project_id,
        project_name
    from artifacts_by_project
)

select * from final

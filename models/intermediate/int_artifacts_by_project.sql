with

artifacts as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        repo_id,
        discovered_via
    from {{ ref('int_artifacts') }}
),

-- An address listed on any_evm is a broader claim than the same address listed on the network itself, as an
-- organization is broader than a repository in it: the specific listing wins.
registry_claims as (
    select distinct
        artifact_id,
        project_name,
        case when listed_on_any_evm then 1 else 0 end as claim_priority
    from {{ ref('stg_registry__artifacts') }}
    where artifact_type in ('REPOSITORY', 'ADDRESS', 'PACKAGE', 'COLLECTIVE', 'PROTOCOL')
),

org_claims as (
    select distinct
        artifacts.artifact_id,
        orgs.project_name,
        1 as claim_priority
    from artifacts
    inner join {{ ref('stg_registry__artifacts') }} as orgs
        on
            artifacts.artifact_namespace = orgs.artifact_namespace
            and orgs.artifact_type = 'ORGANIZATION'
    where artifacts.discovered_via = 'ORGANIZATION'
),

all_claims as (
    select
        artifact_id,
        project_name,
        claim_priority
    from registry_claims

    union all

    select
        artifact_id,
        project_name,
        claim_priority
    from org_claims

    union all

    select
        artifact_id,
        project_name,
        1 as claim_priority
    from {{ ref('int_optimism__deployed_contracts') }}
),

-- One project per artifact: a project listing the artifact itself beats one listing its organization (or listing
-- an address on any_evm); between equals, the project name first in order wins, as the registry loader decides
-- (it leaves such a claim out of the other project and warns). So an event reaches exactly one project, and a
-- collection holding both projects counts it once.
ranked_claims as (
    select
        artifact_id,
        project_name,
        row_number() over (
            partition by artifact_id order by claim_priority asc, project_name asc
        ) as claim_rank
    from all_claims
),

final as (
    select
        artifacts.artifact_id,
        artifacts.artifact_source,
        artifacts.artifact_namespace,
        artifacts.artifact_name,
        artifacts.artifact_type,
        artifacts.repo_id,
        {{ impact_id(["'PROJECT'", 'ranked_claims.project_name']) }} as project_id,
        ranked_claims.project_name
    from artifacts
    inner join ranked_claims
        on
            artifacts.artifact_id = ranked_claims.artifact_id
            and ranked_claims.claim_rank = 1
)

select * from final

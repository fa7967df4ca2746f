with

registry_artifacts as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        artifact_url,
        network
    from {{ ref('stg_registry__artifacts') }}
),

registry_repos as (
    select distinct
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_url
    from registry_artifacts
    where artifact_type = 'REPOSITORY'
),

tracked_orgs as (
    select distinct artifact_namespace as org_login
    from registry_artifacts
    where artifact_type = 'ORGANIZATION'
),

repo_names as (
    select
        repo_id,
        repo_name,
        repo_owner,
        repo_short_name,
        last_seen_at
    from {{ ref('int_github__repo_names') }}
),

-- A registry repository is resolved to the GitHub repo id seen under its name in any event, before or after a
-- rename. Should one name have pointed at two ids (a repository deleted and re-created), the id seen last wins;
-- should two registry names resolve to one id (the old and the new name both listed), the name seen last keeps it.
registry_repo_ids as (
    select
        registry_repos.artifact_id,
        repo_names.repo_id,
        repo_names.last_seen_at
    from registry_repos
    inner join repo_names
        on
            registry_repos.artifact_namespace = repo_names.repo_owner
            and registry_repos.artifact_name = repo_names.repo_short_name
),

ranked_registry_repo_ids as (
    select
        artifact_id,
        repo_id,
        row_number() over (
            partition by artifact_id order by last_seen_at desc, repo_id desc
        ) as id_rank_for_artifact,
        row_number() over (
            partition by repo_id order by last_seen_at desc, artifact_id asc
        ) as artifact_rank_for_id
    from registry_repo_ids
),

resolved_registry_repos as (
    select
        registry_repos.artifact_id,
        registry_repos.artifact_source,
        registry_repos.artifact_namespace,
        registry_repos.artifact_name,
        registry_repos.artifact_url,
        ranked_registry_repo_ids.repo_id
    from registry_repos
    left join ranked_registry_repo_ids
        on
            registry_repos.artifact_id = ranked_registry_repo_ids.artifact_id
            and ranked_registry_repo_ids.id_rank_for_artifact = 1
            and ranked_registry_repo_ids.artifact_rank_for_id = 1
),

-- Repositories seen in events under a tracked organization that the registry does not list by name: named by the
-- latest name they were seen under.
latest_repo_names as (
    select
        repo_id,
        repo_owner,
        repo_short_name,
        row_number() over (partition by repo_id order by last_seen_at desc, repo_name asc) as name_rank
    from repo_names
),

org_repo_ids as (
    select distinct repo_names.repo_id
    from repo_names
    inner join tracked_orgs
        on repo_names.repo_owner = tracked_orgs.org_login
    where repo_names.repo_id not in (
        select resolved_registry_repos.repo_id
        from resolved_registry_repos
        where resolved_registry_repos.repo_id is not null
    )
),

discovered_repos as (
    select
        latest_repo_names.repo_id,
        latest_repo_names.repo_owner,
        latest_repo_names.repo_short_name
    from latest_repo_names
    inner join org_repo_ids
        on latest_repo_names.repo_id = org_repo_ids.repo_id
    where latest_repo_names.name_rank = 1
),

all_artifacts as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        'REPOSITORY' as artifact_type,
        artifact_url,
        repo_id,
        cast(null as {{ dbt.type_string() }}) as network,
        'REGISTRY' as discovered_via
    from resolved_registry_repos

    union all

    select
        {{ impact_id(["'GITHUB'", 'repo_owner', 'repo_short_name']) }} as artifact_id,
        'GITHUB' as artifact_source,
        repo_owner as artifact_namespace,
        repo_short_name as artifact_name,
        'REPOSITORY' as artifact_type,
        {{ dbt.concat(["'https://github.com/'", 'repo_owner', "'/'", 'repo_short_name']) }} as artifact_url,
        repo_id,
        cast(null as {{ dbt.type_string() }}) as network,
        'ORGANIZATION' as discovered_via
    from discovered_repos

    union all

    select distinct
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        artifact_url,
        cast(null as {{ dbt.type_bigint() }}) as repo_id,
        network,
        'REGISTRY' as discovered_via
    from registry_artifacts
    where artifact_type = 'ADDRESS'

    union all

    -- Packages (npm, crates, pypi, go), Open Collectives and DefiLlama protocols: no source reads them yet, but
    -- they are what package downloads, dependencies and funding will join on.
    select distinct
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        artifact_url,
        cast(null as {{ dbt.type_bigint() }}) as repo_id,
        network,
        'REGISTRY' as discovered_via
    from registry_artifacts
    where artifact_type in ('PACKAGE', 'COLLECTIVE', 'PROTOCOL')

    union all

    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        cast(null as {{ dbt.type_string() }}) as artifact_url,
        cast(null as {{ dbt.type_bigint() }}) as repo_id,
        network,
        'DEPLOYER' as discovered_via
    from {{ ref('int_optimism__deployed_contracts') }}
),

-- One row per artifact: two projects may list one artifact with different URLs, and a registry listing wins
-- over a discovery.
ranked_artifacts as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        artifact_url,
        repo_id,
        network,
        discovered_via,
        row_number() over (
            partition by artifact_id
            order by case when discovered_via = 'REGISTRY' then 0 else 1 end asc, artifact_url asc nulls last
        ) as artifact_rank
    from all_artifacts
),

final as (
    select
        artifact_id,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_type,
        artifact_url,
        repo_id,
        network,
        discovered_via
    from ranked_artifacts
    where artifact_rank = 1
)

select * from final

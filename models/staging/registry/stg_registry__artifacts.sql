with

raw_artifacts as (
    select
        project_name,
        artifact_source as registry_source,
        artifact_kind,
        artifact_namespace,
        artifact_name,
        artifact_url,
        network,
        tags,
        address_label,
        _source_file,
        _loaded_at
    from {{ source('registry', 'registry_artifacts') }}
),

-- The id parts of docs/architecture.md §4. GitHub: ('GITHUB', owner, repository) lower-case; an organization has
-- no name.
-- Blockchain: (upper-case network, network, lower-case address), e.g. ('OPTIMISM', 'optimism', '0x...').
-- Packages and the other URL artifacts keep the registry's source (NPM, CRATES, PYPI, GO, OPEN_COLLECTIVE,
-- DEFILLAMA), with the lower-case namespace (an npm scope; NULL otherwise) and name the loader read from the URL.
keyed_artifacts as (
    select
        project_name,
        registry_source,
        artifact_kind as artifact_type,
        artifact_url,
        tags,
        address_label,
        _source_file,
        _loaded_at,
        case
            when registry_source = 'BLOCKCHAIN' then upper(network)
            else registry_source
        end as artifact_source,
        case
            when registry_source = 'BLOCKCHAIN' then lower(network)
            else lower(artifact_namespace)
        end as artifact_namespace,
        lower(artifact_name) as artifact_name,
        lower(network) as network,
        coalesce(lower(network) = 'any_evm', false) as listed_on_any_evm
    from raw_artifacts
),

-- An address listed on `any_evm` stands for the same address on every EVM network the warehouse ingests
-- (var `evm_networks`): it is keyed once per such network, exactly as if the registry had listed it there.
network_artifacts as (
    select
        project_name,
        registry_source,
        artifact_type,
        artifact_url,
        tags,
        address_label,
        _source_file,
        _loaded_at,
        artifact_source,
        artifact_namespace,
        artifact_name,
        network,
        listed_on_any_evm
    from keyed_artifacts
    where network is null or network != 'any_evm'
    {%- for evm_network in var('evm_networks') %}

    union all

    select
        project_name,
        registry_source,
        artifact_type,
        artifact_url,
        tags,
        address_label,
        _source_file,
        _loaded_at,
        '{{ evm_network | upper }}' as artifact_source,
        '{{ evm_network | lower }}' as artifact_namespace,
        artifact_name,
        '{{ evm_network | lower }}' as network,
        listed_on_any_evm
    from keyed_artifacts
    where network = 'any_evm'
    {%- endfor %}
),

-- A project listing the same artifact twice (or on one network and on any_evm) keeps one row (the latest load,
-- then the first file).
ranked_artifacts as (
    select
        project_name,
        registry_source,
        artifact_type,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_url,
        network,
        tags,
        address_label,
        listed_on_any_evm,
        row_number() over (
            partition by project_name, artifact_source, artifact_namespace, artifact_name
            order by
                _loaded_at desc nulls last,
                listed_on_any_evm asc,
                _source_file asc nulls last,
                artifact_url asc nulls last
        ) as copy_rank
    from network_artifacts
),

final as (
    select
        {{ impact_id(['artifact_source', 'artifact_namespace', 'artifact_name']) }} as artifact_id,
        {{ impact_id(["'PROJECT'", 'project_name']) }} as project_id,
        project_name,
        registry_source,
        artifact_type,
        artifact_source,
        artifact_namespace,
        artifact_name,
        artifact_url,
        network,
        tags,
        address_label,
        listed_on_any_evm
    from ranked_artifacts
    where copy_rank = 1
)

select * from final

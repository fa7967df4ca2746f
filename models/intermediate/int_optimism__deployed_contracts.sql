{#- Contracts created on Optimism by a tracked deployer (a registry address on optimism or any_evm tagged
    `deployer`, or `creator`, its older name): each becomes an ADDRESS artifact of the deployer's project. -#}

with

deployers as (
    select
        registry_artifacts.artifact_name as deployer_address,
        registry_artifacts.project_id,
        registry_artifacts.project_name
    from {{ ref('stg_registry__artifacts') }} as registry_artifacts
    where
        registry_artifacts.artifact_type = 'ADDRESS'
        and registry_artifacts.network in ('optimism', 'any_evm')
        and exists (
            select 1 as is_tagged
            from unnest(registry_artifacts.tags) as tag
            where tag in ('deployer', 'creator')
        )
),

creations as (
    select
        created_contract_address,
        from_address,
        block_timestamp,
        transaction_hash
    from {{ ref('stg_optimism__transactions') }}
    where created_contract_address is not null and is_success
),

-- A contract is created once; should two projects list the deployer (the registry forbids it), the first project
-- name keeps it.
ranked_contracts as (
    select
        creations.created_contract_address as contract_address,
        creations.from_address as deployer_address,
        deployers.project_id,
        deployers.project_name,
        creations.block_timestamp as created_at,
        creations.transaction_hash,
        row_number() over (
            partition by creations.created_contract_address
            order by creations.block_timestamp asc, deployers.project_name asc
        ) as contract_rank
    from creations
    inner join deployers
        on creations.from_address = deployers.deployer_address
),

final as (
    select
        {{ impact_id(["'OPTIMISM'", "'optimism'", 'contract_address']) }} as artifact_id,
        'OPTIMISM' as artifact_source,
        'optimism' as artifact_namespace,
        contract_address as artifact_name,
        'ADDRESS' as artifact_type,
        'optimism' as network,
        contract_address,
        deployer_address,
        project_id,
        project_name,
        created_at,
        transaction_hash
    from ranked_contracts
    where contract_rank = 1
)

select * from final

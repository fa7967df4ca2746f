{{
    config(
        partition_by=month_partition('time', 'timestamp'),
        cluster_by=cluster_columns(['time', 'event_type', 'to_artifact_id'])
    )
}}

with

project_addresses as (
    select
        artifact_id,
        artifact_namespace,
        artifact_name,
        artifact_type
    from {{ ref('int_artifacts_by_project') }}
    where artifact_type = 'ADDRESS' and artifact_namespace = 'optimism'
),

bot_addresses as (
    select distinct address
    from {{ ref('int_optimism__address_bots') }}
),

transactions as (
    select
        transaction_hash,
        block_timestamp,
        from_address,
        to_address,
        created_contract_address,
        has_input,
        receipt_status,
        gas_used,
        effective_gas_price_wei,
        l1_fee_wei
    from {{ ref('stg_optimism__transactions') }}
),

-- docs/architecture.md §5. One set of transactions per contract: the calls (to_address set, input not empty).
-- CONTRACT_INVOCATION counts them, CONTRACT_INVOCATION_SUCCESS those whose receipt says status 1, GAS_FEE is what
-- their senders paid. A plain transfer (empty input) is none of these.
calls as (
    select *
    from transactions
    where has_input and to_address is not null
),

-- The fee is summed exactly in wei (a decimal) and only then turned into ETH: the L2 execution fee (gas used x
-- effective gas price) plus the L1 data fee. A receipt without an L1 fee (Google's public receipts table has no
-- such column) adds nothing: that GAS_FEE is the execution fee alone. L1_DATA_FEE is the L1 part on its own.
transaction_events as (
    select
        block_timestamp as event_time,
        'CONTRACT_INVOCATION' as event_type,
        transaction_hash as event_source_id,
        from_address,
        to_address,
        cast(1 as {{ type_amount() }}) as amount
    from calls

    union all

    select
        block_timestamp as event_time,
        'CONTRACT_INVOCATION_SUCCESS' as event_type,
        {{ dbt.concat(['transaction_hash', "':success'"]) }} as event_source_id,
        from_address,
        to_address,
        cast(1 as {{ type_amount() }}) as amount
    from calls
    where receipt_status = 1

    union all

    select
        block_timestamp as event_time,
        'GAS_FEE' as event_type,
        {{ dbt.concat(['transaction_hash', "':gas_fee'"]) }} as event_source_id,
        from_address,
        to_address,
        {{ wei_to_eth("gas_used * effective_gas_price_wei + coalesce(l1_fee_wei, 0)") }} as amount
    from calls
    where gas_used is not null and effective_gas_price_wei is not null

    union all

    select
        block_timestamp as event_time,
        'L1_DATA_FEE' as event_type,
        {{ dbt.concat(['transaction_hash', "':l1_fee'"]) }} as event_source_id,
        from_address,
        to_address,
        {{ wei_to_eth("l1_fee_wei") }} as amount
    from calls
    where l1_fee_wei is not null

    union all

    -- A deployment: from the deployer to the contract it created, when that contract is a project's (listed, or
    -- created by a tracked deployer). Not a call and not a fee to the new contract.
    select
        block_timestamp as event_time,
        'CONTRACT_DEPLOYED' as event_type,
        {{ dbt.concat(['transaction_hash', "':deployed'"]) }} as event_source_id,
        from_address,
        created_contract_address as to_address,
        cast(1 as {{ type_amount() }}) as amount
    from transactions
    where to_address is null and created_contract_address is not null
),

final as (
    select
        cast(transaction_events.event_time as {{ dbt.type_timestamp() }}) as time,
        transaction_events.event_type,
        'OPTIMISM' as event_source,
        transaction_events.event_source_id,
        project_addresses.artifact_id as to_artifact_id,
        project_addresses.artifact_namespace as to_artifact_namespace,
        project_addresses.artifact_name as to_artifact_name,
        project_addresses.artifact_type as to_artifact_type,
        {{ impact_id(["'OPTIMISM'", "'optimism'", 'transaction_events.from_address']) }} as from_artifact_id,
        'optimism' as from_artifact_namespace,
        transaction_events.from_address as from_artifact_name,
        case when bot_addresses.address is not null then 'BOT' else 'EOA' end as from_artifact_type,
        transaction_events.amount
    from transaction_events
    inner join project_addresses
        on transaction_events.to_address = project_addresses.artifact_name
    left join bot_addresses
        on transaction_events.from_address = bot_addresses.address
)

select * from final

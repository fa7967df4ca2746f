{{
    config(
        partition_by=day_partition('block_day'),
        cluster_by=cluster_columns(['to_address', 'from_address'])
    )
}}

with

raw_transactions as (
    select
        raw_transactions.transaction_hash,
        raw_transactions.block_timestamp,
        raw_transactions.block_day,
        raw_transactions.block_number,
        raw_transactions.transaction_index,
        raw_transactions.from_address,
        raw_transactions.to_address,
        raw_transactions.value as value_wei,
        raw_transactions.gas,
        raw_transactions.gas_price,
        raw_transactions.input,
        raw_transactions.receipt_gas_used,
        raw_transactions.receipt_effective_gas_price,
        raw_transactions.receipt_status,
        raw_transactions.receipt_contract_address,
        raw_transactions.receipt_l1_fee,
        raw_transactions._source_file,
        raw_transactions._loaded_at
    from {{ source('optimism', 'optimism_transactions') }} as raw_transactions
),

-- A transaction can be loaded on two days (a day file holding a stray row of the next day): keep the copy loaded
-- first, then the lowest day and file name, so the choice is the same on every run.
ranked_transactions as (
    select
        block_timestamp,
        block_day,
        block_number,
        transaction_index,
        value_wei,
        gas,
        gas_price,
        receipt_gas_used,
        receipt_effective_gas_price,
        receipt_status,
        receipt_l1_fee,
        lower(transaction_hash) as transaction_hash,
        lower(from_address) as from_address,
        lower(to_address) as to_address,
        lower(input) as raw_method_id,
        lower(receipt_contract_address) as receipt_contract_address,
        row_number() over (
            partition by lower(transaction_hash)
            order by _loaded_at asc nulls last, block_day asc, _source_file asc nulls last
        ) as copy_rank
    from raw_transactions
),

final as (
    select
        transaction_hash,
        cast(block_timestamp as {{ dbt.type_timestamp() }}) as block_timestamp,
        block_day,
        cast(block_number as {{ dbt.type_bigint() }}) as block_number,
        cast(transaction_index as {{ dbt.type_bigint() }}) as transaction_index,
        from_address,
        to_address,
        value_wei,
        cast(gas as {{ dbt.type_bigint() }}) as gas_limit,
        gas_price as gas_price_wei,
        coalesce(raw_method_id, '0x') as method_id,
        coalesce(raw_method_id, '0x') not in ('0x', '') as has_input,
        cast(receipt_gas_used as {{ dbt.type_bigint() }}) as gas_used,
        receipt_effective_gas_price as effective_gas_price_wei,
        receipt_l1_fee as l1_fee_wei,
        cast(receipt_status as {{ dbt.type_bigint() }}) as receipt_status,
        receipt_status = 1 as is_success,
        receipt_contract_address as created_contract_address
    from ranked_transactions
    where copy_rank = 1
)

select * from final

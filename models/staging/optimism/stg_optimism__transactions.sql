{#- Incremental: a run reads the raw days from staging_start_day on (the first of the month holding the last
    block day built minus var staging_lookback_days) and rewrites those whole months, partitioned by month of
    block_day, the raw layer's partition. A first build or --full-refresh reads all history. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy=month_replace_strategy(),
        unique_key=month_replace_key('block_day'),
        on_schema_change='fail',
        partition_by=month_partition('block_day'),
        cluster_by=cluster_columns(['block_day', 'to_address', 'from_address'])
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
    {%- if is_incremental() %}
    where raw_transactions.block_day >= {{ staging_start_day('block_day') }}
    {%- endif %}
),

-- A transaction can be loaded on two days (a day file holding a stray row of the next day): keep the copy of the
-- lowest day, then the one loaded first, then the lowest file name, so the choice is the same on every run and a
-- copy never displaces one of an earlier day: what an incremental run keeps in the months it rewrites cannot change
-- what it keeps in the months before them.
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
            order by block_day asc, _loaded_at asc nulls last, _source_file asc nulls last
        ) as copy_rank
    from raw_transactions
),
{%- if is_incremental() %}

-- The transactions kept in the months this run leaves as they are: a copy of one of them on a later day is dropped
-- here, as a full refresh drops it (the copy of the earlier day wins).
kept_transaction_hashes as (
    select kept_transactions.transaction_hash
    from {{ this }} as kept_transactions
    where kept_transactions.block_day < {{ staging_start_day('block_day') }}
),
{%- endif %}

final as (
    select
        ranked_transactions.transaction_hash,
        cast(ranked_transactions.block_timestamp as {{ dbt.type_timestamp() }}) as block_timestamp,
        ranked_transactions.block_day,
        cast(ranked_transactions.block_number as {{ dbt.type_bigint() }}) as block_number,
        cast(ranked_transactions.transaction_index as {{ dbt.type_bigint() }}) as transaction_index,
        ranked_transactions.from_address,
        ranked_transactions.to_address,
        ranked_transactions.value_wei,
        cast(ranked_transactions.gas as {{ dbt.type_bigint() }}) as gas_limit,
        ranked_transactions.gas_price as gas_price_wei,
        coalesce(ranked_transactions.raw_method_id, '0x') as method_id,
        coalesce(ranked_transactions.raw_method_id, '0x') not in ('0x', '') as has_input,
        cast(ranked_transactions.receipt_gas_used as {{ dbt.type_bigint() }}) as gas_used,
        ranked_transactions.receipt_effective_gas_price as effective_gas_price_wei,
        ranked_transactions.receipt_l1_fee as l1_fee_wei,
        cast(ranked_transactions.receipt_status as {{ dbt.type_bigint() }}) as receipt_status,
        ranked_transactions.receipt_status = 1 as is_success,
        ranked_transactions.receipt_contract_address as created_contract_address
    from ranked_transactions
    {%- if is_incremental() %}
    left join kept_transaction_hashes
        on ranked_transactions.transaction_hash = kept_transaction_hashes.transaction_hash
    {%- endif %}
    where ranked_transactions.copy_rank = 1
    {%- if is_incremental() %}
        and kept_transaction_hashes.transaction_hash is null
    {%- endif %}
)

select * from final

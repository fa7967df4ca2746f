{#- The onchain wide table: one row per project with an address on an ingested EVM network (var evm_networks), the
    latest value of each onchain metric and window, the project's contract count and the days of its first and last
    transaction. Its columns are its contract (_metrics__models.yml): each `<metric>_<window>` column declared there
    is the metric's value on the latest sample day. Onchain metrics need no GH Archive payload data, so this table
    has no coverage flags. -#}
{%- set wide = metric_wide_columns(
    model.columns.keys() | list,
    ['project_id', 'project_name', 'display_name', 'sample_date',
     'contract_count', 'first_transaction_date', 'last_transaction_date'],
    'onchain_metrics_by_project_v1'
) -%}
{%- if model.columns and wide.flags -%}
    {{ exceptions.raise_compiler_error(
        "onchain_metrics_by_project_v1 (models/marts/metrics/_metrics__models.yml): column "
        ~ wide.flags[0].column ~ ": GH Archive coverage flags belong to code_metrics_by_project_v1; remove it"
    ) }}
{%- endif -%}
{%- set networks = "'" ~ var('evm_networks') | map('lower') | join("', '") ~ "'" -%}
{#- Registry tags (seed blockchain_tags) that say an address is a contract. -#}
{%- set contract_tags = "'contract', 'factory', 'proxy', 'safe', 'bridge'" -%}

with

projects as (
    select
        project_id,
        project_name,
        display_name
    from {{ ref('projects_v1') }}
),

onchain_artifacts as (
    select
        artifact_id,
        project_id
    from {{ ref('int_artifacts_by_project') }}
    where
        artifact_type = 'ADDRESS'
        and artifact_namespace in ({{ networks }})
),

onchain_projects as (
    select distinct project_id
    from onchain_artifacts
),

timeseries as (
    select
        project_id,
        metric,
        sample_date,
        {{ adapter.quote('window') }} as window_name,
        amount
    from {{ ref('timeseries_metrics_by_project_v1') }}
),

-- A contract: a registry address tagged as one, or a contract that one of the project's tracked deployers created.
contract_artifacts as (
    select registry_artifacts.artifact_id
    from {{ ref('stg_registry__artifacts') }} as registry_artifacts
    where
        registry_artifacts.artifact_type = 'ADDRESS'
        and exists (
            select 1 as is_tagged
            from unnest(registry_artifacts.tags) as tag
            where tag in ({{ contract_tags }})
        )

    union distinct

    select artifact_id
    from {{ ref('int_optimism__deployed_contracts') }}
),

contracts as (
    select
        onchain_artifacts.project_id,
        count(distinct onchain_artifacts.artifact_id) as contract_count
    from onchain_artifacts
    inner join contract_artifacts
        on onchain_artifacts.artifact_id = contract_artifacts.artifact_id
    group by onchain_artifacts.project_id
),

-- The transactions of transaction_count: contract invocations of the project's addresses.
transaction_days as (
    select
        onchain_artifacts.project_id,
        min(cast(events.time as date)) as first_transaction_date,
        max(cast(events.time as date)) as last_transaction_date
    from {{ ref('int_events') }} as events
    inner join onchain_artifacts
        on events.to_artifact_id = onchain_artifacts.artifact_id
    where events.event_type = 'CONTRACT_INVOCATION'
    group by onchain_artifacts.project_id
),

latest_day as (
    select max(sample_date) as sample_date
    from timeseries
),

latest_values as (
    select
        timeseries.project_id,
        timeseries.metric,
        timeseries.window_name,
        timeseries.amount
    from timeseries
    inner join latest_day
        on timeseries.sample_date = latest_day.sample_date
),

project_values as (
    {{ metric_wide_pivot(wide) }}
),

final as (
    select
        {{- metric_wide_values(wide) }}
        projects.project_id,
        projects.project_name,
        projects.display_name,
        latest_day.sample_date,
        cast(coalesce(contracts.contract_count, 0) as {{ dbt.type_bigint() }}) as contract_count,
        transaction_days.first_transaction_date,
        transaction_days.last_transaction_date
    from projects
    inner join onchain_projects
        on projects.project_id = onchain_projects.project_id
    cross join latest_day
    left join project_values
        on projects.project_id = project_values.project_id
    left join contracts
        on projects.project_id = contracts.project_id
    left join transaction_days
        on projects.project_id = transaction_days.project_id
)

select * from final

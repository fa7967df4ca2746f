{#- Incremental: a run reads the raw archive days from staging_start_day on (the first of the month holding the
    last archive day built minus var staging_lookback_days) and rewrites those whole months, partitioned by month of
    archive_day: the unit the raw layer loads and this model reads, so a month is rewritten from all of its own raw
    days. A first build or --full-refresh reads all history (a few hundred month partitions: within BigQuery's 4,000
    partitions per job). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy=month_replace_strategy(),
        unique_key=month_replace_key('archive_day'),
        on_schema_change='fail',
        partition_by=month_partition('archive_day'),
        cluster_by=cluster_columns(['archive_day', 'event_type', 'repo_id'])
    )
}}

with

-- repo, actor and org are structs (the GH Archive day-table columns); sqlfluff reads `a.b.c` as a table path.
raw_events as (
    select
        raw_events.id,
        raw_events.type,
        raw_events.created_at,
        raw_events.archive_day,
        raw_events.repo.id as repo_id,  -- noqa: RF01
        raw_events.repo.name as repo_name,  -- noqa: RF01
        raw_events.actor.id as actor_id,  -- noqa: RF01
        raw_events.actor.login as actor_login,  -- noqa: RF01
        raw_events.org.login as org_login,  -- noqa: RF01
        raw_events.payload,
        raw_events._source_file,
        raw_events._loaded_at
    from {{ source('github', 'github_events') }} as raw_events
    {%- if is_incremental() %}
    where raw_events.archive_day >= {{ staging_start_day('archive_day') }}
    {%- endif %}
),

-- An event can be loaded twice (the same id in two hourly files, or on two archive days): keep the copy of the
-- lowest archive day, then the one loaded first, then the lowest file name, so the choice is the same on every run
-- and a copy never displaces one of an earlier day: what an incremental run keeps in the months it rewrites cannot
-- change what it keeps in the months before them.
ranked_events as (
    select
        id,
        type,
        created_at,
        archive_day,
        repo_id,
        repo_name,
        actor_id,
        actor_login,
        org_login,
        payload,
        row_number() over (
            partition by id
            order by archive_day asc, _loaded_at asc nulls last, _source_file asc nulls last
        ) as copy_rank
    from raw_events
),
{%- if is_incremental() %}

-- The events kept in the months this run leaves as they are: a copy of one of them on a later archive day is
-- dropped here, as a full refresh drops it (the copy of the earlier day wins).
kept_event_ids as (
    select kept_events.event_id
    from {{ this }} as kept_events
    where kept_events.archive_day < {{ staging_start_day('archive_day') }}
),
{%- endif %}

final as (
    select
        cast(ranked_events.id as {{ dbt.type_string() }}) as event_id,
        ranked_events.type as event_type,
        cast(ranked_events.created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(ranked_events.created_at as date) as event_day,
        ranked_events.archive_day,
        cast(ranked_events.repo_id as {{ dbt.type_bigint() }}) as repo_id,
        ranked_events.repo_name,
        lower({{ dbt.split_part('ranked_events.repo_name', "'/'", 1) }}) as repo_owner,
        cast(ranked_events.actor_id as {{ dbt.type_bigint() }}) as actor_id,
        ranked_events.actor_login,
        ranked_events.org_login,
        ranked_events.payload,
        {{ is_bot_login('ranked_events.actor_login') }} as is_bot_actor
    from ranked_events
    {%- if is_incremental() %}
    left join kept_event_ids
        on cast(ranked_events.id as {{ dbt.type_string() }}) = kept_event_ids.event_id
    {%- endif %}
    where ranked_events.copy_rank = 1
    {%- if is_incremental() %}
        and kept_event_ids.event_id is null
    {%- endif %}
)

select * from final

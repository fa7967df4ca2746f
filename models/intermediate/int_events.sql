{#- The universal event table (docs/architecture.md §5): one row per atomic event of every source. A source plugs in by
    adding its model, which has exactly these columns, to the list below. -#}
{%- set event_models = ['int_events__github', 'int_events__optimism'] -%}

{{
    config(
        partition_by=month_partition('time', 'timestamp'),
        cluster_by=cluster_columns(['time', 'event_source', 'event_type', 'to_artifact_id'])
    )
}}

with

all_events as (
    {%- for event_model in event_models %}
    select
        time,
        event_type,
        event_source,
        event_source_id,
        to_artifact_id,
        to_artifact_namespace,
        to_artifact_name,
        to_artifact_type,
        from_artifact_id,
        from_artifact_namespace,
        from_artifact_name,
        from_artifact_type,
        amount
    from {{ ref(event_model) }}
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}
),

final as (
    select
        time,
        event_type,
        event_source,
        event_source_id,
        to_artifact_id,
        to_artifact_namespace,
        to_artifact_name,
        to_artifact_type,
        from_artifact_id,
        from_artifact_namespace,
        from_artifact_name,
        from_artifact_type,
        amount
    from all_events
)

select * from final

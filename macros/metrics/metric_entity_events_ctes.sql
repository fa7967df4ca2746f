{#- The metric's events, mapped to the projects (through their artifacts) and the collections (through their
    projects) they belong to: entity_events (entity_type, entity_id, event_day, from_artifact_id, to_artifact_id,
    amount). A developer of two projects of one collection is one member of that collection. -#}
{% macro metric_entity_events_ctes(metric) -%}
metric_events as (
    select
        cast(time as date) as event_day,
        to_artifact_id,
        from_artifact_id,
        amount
    from {{ ref('int_events') }}
    where
        event_type in ({% for event_type in metric.event_types %}'{{ event_type }}'{% if not loop.last %}, {% endif %}{% endfor %})
        {%- if metric.exclude_bots %}
        and from_artifact_type != 'BOT'
        {%- endif %}
),

project_events as (
    select
        artifacts_by_project.project_id,
        metric_events.event_day,
        metric_events.from_artifact_id,
        metric_events.to_artifact_id,
        metric_events.amount
    from metric_events
    inner join artifacts_by_project
        on metric_events.to_artifact_id = artifacts_by_project.artifact_id
),

entity_events as (
    select
        'project' as entity_type,
        project_id as entity_id,
        event_day,
        from_artifact_id,
        to_artifact_id,
        amount
    from project_events

    union all

    select
        'collection' as entity_type,
        projects_by_collection.collection_id as entity_id,
        project_events.event_day,
        project_events.from_artifact_id,
        project_events.to_artifact_id,
        project_events.amount
    from project_events
    inner join projects_by_collection
        on project_events.project_id = projects_by_collection.project_id
),
{%- endmacro %}

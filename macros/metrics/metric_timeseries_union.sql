{#- Every metric of the catalog for one entity type, one row per (entity, metric, sample day, window): the
    union of the metric models, as a view (the metric models hold the data; a new catalog entry appears here
    with its whole history as soon as its model is built). `entity_type`: project or collection. -#}
{% macro metric_timeseries_union(entity_type) %}
{%- if entity_type not in ['project', 'collection'] -%}
    {{ exceptions.raise_compiler_error("metric_timeseries_union: entity_type is project or collection, not '" ~ entity_type ~ "'") }}
{%- endif -%}
{{ config(materialized='view') }}

with
{% for entry in metric_catalog() %}
{{ entry.name }} as (
    select
        metric,
        entity_id as {{ entity_type }}_id,
        sample_date,
        {{ adapter.quote('window') }},
        amount,
        unit,
        data_complete
    from {{ ref(entry.name) }}
    where entity_type = '{{ entity_type }}'
),
{% endfor %}
final as (
    {%- for entry in metric_catalog() %}
    select
        metric,
        {{ entity_type }}_id,
        sample_date,
        {{ adapter.quote('window') }},
        amount,
        unit,
        data_complete
    from {{ entry.name }}
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
)

select * from final
{% endmacro %}

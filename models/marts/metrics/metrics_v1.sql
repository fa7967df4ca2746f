{#- The metric catalog as a table: one row per metric, what it counts and how (macros/metrics/metric_catalog.sql). -#}
with

definitions as (
    {%- for entry in metric_catalog() %}
    {%- set metric = metric_definition(entry.name) %}
    select
        {{ loop.index }} as catalog_position,
        {{ metric_string(metric.name) }} as metric,
        {{ metric_string(metric.description) }} as description,
        {{ metric_string(metric.unit) }} as unit,
        {{ metric_string(metric.event_types | join(',')) }} as event_types,
        {{ metric_string(metric.aggregation) }} as aggregation,
        {{ 'true' if metric.exclude_bots else 'false' }} as excludes_bots,
        {%- if metric.requires is none %}
        cast(null as {{ dbt.type_string() }}) as requires,
        {%- else %}
        {{ metric_string(metric.requires) }} as requires,
        {%- endif %}
        {{ metric_string(metric_output_windows(metric) | map(attribute='name') | join(',')) }} as windows
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
),

final as (
    select
        cast(catalog_position as {{ dbt.type_bigint() }}) as catalog_position,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(event_types as {{ dbt.type_string() }}) as event_types,
        cast(aggregation as {{ dbt.type_string() }}) as aggregation,
        excludes_bots,
        requires,
        cast(windows as {{ dbt.type_string() }}) as windows
    from definitions
)

select * from final

{#- The two pieces every wide latest-value table shares, for the `wide` columns of metric_wide_columns():
    metric_wide_pivot() is the body of a CTE turning `latest_values` (project_id, metric, window_name, amount) into
    one row per project with a column per metric and window; metric_wide_values() selects those columns from
    `project_values` as doubles, 0 where a count has no row and NULL where a median has none. -#}
{% macro metric_wide_pivot(wide) -%}
    select
        {%- for column in wide.metrics %}
        max(case when metric = '{{ column.metric }}' and window_name = '{{ column.window }}' then amount end)
            as {{ column.column }},
        {%- endfor %}
        project_id
    from latest_values
    group by project_id
{%- endmacro %}

{% macro metric_wide_values(wide) -%}
    {%- for column in wide.metrics %}
        {%- if column.zero_when_missing %}
        cast(coalesce(project_values.{{ column.column }}, 0) as {{ type_double() }}) as {{ column.column }},
        {%- else %}
        cast(project_values.{{ column.column }} as {{ type_double() }}) as {{ column.column }},
        {%- endif %}
    {%- endfor %}
{%- endmacro %}

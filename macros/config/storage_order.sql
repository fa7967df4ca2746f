{#- An `order by` that makes a table store its rows sorted by the columns a reader filters on, on DuckDB; nothing
    elsewhere. DuckDB keeps min/max statistics per row group (zone maps) and skips the row groups a filter such as
    `where project_id = ?` rules out, but only when the rows of one value sit together; it writes rows in the order
    the query gives them. BigQuery gets the same from `cluster_by` (cluster_columns) and ignores a final order.
    Usage, as the last clause of a model: select * from final {{ storage_order(['entity_id', 'sample_date']) }} -#}
{% macro storage_order(columns) -%}
    {{ return(adapter.dispatch('storage_order', 'impact')(columns)) }}
{%- endmacro %}

{% macro default__storage_order(columns) -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__storage_order(columns) -%}
    {{ return('order by ' ~ columns | join(', ')) }}
{%- endmacro %}

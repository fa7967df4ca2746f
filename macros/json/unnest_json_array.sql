{#- A FROM-clause item that yields one row per element of the JSON array at `path` of `json_text`, each element
    as JSON (read it with json_scalar). Use it after a comma-free `cross join`:
        from pushes cross join {{ unnest_json_array('pushes.payload', '$.commits', 'commit_json') }}
    A missing, null or empty array yields no rows. -#}
{% macro unnest_json_array(json_text, path, alias) -%}
    {{ return(adapter.dispatch('unnest_json_array', 'impact')(json_text, path, alias)) }}
{%- endmacro %}

{% macro default__unnest_json_array(json_text, path, alias) -%}
    unnest(cast(json_extract({{ json_text }}, '{{ path }}') as json [])) as {{ alias }}_elements ({{ alias }})
{%- endmacro %}

{% macro bigquery__unnest_json_array(json_text, path, alias) -%}
    unnest(json_query_array({{ json_text }}, '{{ path }}')) as {{ alias }}
{%- endmacro %}

{#- The deterministic id of docs/architecture.md §4: lower(hex(sha256(part1 || '\x1f' || part2 || ...))).
    A NULL part is hashed as the empty string. ingestion/ids.py is the Python twin: both must agree byte for byte.
    `parts` is a list of SQL expressions, e.g. impact_id(["'PROJECT'", 'project_name']). -#}
{% macro impact_id(parts) -%}
    {{ return(adapter.dispatch('impact_id', 'impact')(parts)) }}
{%- endmacro %}

{% macro default__impact_id(parts) -%}
    {{ exceptions.raise_compiler_error(
        "impact_id has no implementation for the '" ~ target.type ~ "' adapter: add "
        ~ target.type ~ "__impact_id to macros/ids/impact_id.sql (sha256 of the parts joined by chr(31), lower hex)"
    ) }}
{%- endmacro %}

{% macro duckdb__impact_id(parts) -%}
    sha256(
        {%- for part in parts %}
        coalesce(cast({{ part }} as varchar), ''){% if not loop.last %} || chr(31) ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{% macro bigquery__impact_id(parts) -%}
    to_hex(sha256(concat(
        {%- for part in parts %}
        coalesce(cast({{ part }} as string), ''){% if not loop.last %}, code_points_to_string([31]),{% endif %}
        {%- endfor %}
    )))
{%- endmacro %}

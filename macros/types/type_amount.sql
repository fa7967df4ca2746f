{#- The type of event amounts: an exact decimal with 18 digits after the point, so a gas fee in ETH keeps every
    wei and sums come out the same whatever order an engine adds them in (a double sum does not). -#}
{% macro type_amount() -%}
    {{ return(adapter.dispatch('type_amount', 'impact')()) }}
{%- endmacro %}

{% macro default__type_amount() -%}
    decimal(38, 18)
{%- endmacro %}

{% macro bigquery__type_amount() -%}
    bignumeric
{%- endmacro %}

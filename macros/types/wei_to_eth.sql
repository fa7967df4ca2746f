{#- An integer amount of wei as exact ETH (type_amount): multiplied by 1e-18 as decimals, never through a double. -#}
{% macro wei_to_eth(wei) -%}
    {{ return(adapter.dispatch('wei_to_eth', 'impact')(wei)) }}
{%- endmacro %}

{% macro default__wei_to_eth(wei) -%}
    cast({{ wei }} as decimal(38, 0)) * cast(0.000000000000000001 as decimal(38, 18))
{%- endmacro %}

{% macro bigquery__wei_to_eth(wei) -%}
    cast({{ wei }} as bignumeric) * cast('0.000000000000000001' as bignumeric)
{%- endmacro %}

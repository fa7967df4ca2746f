{#- Fails on every row where the SQL expression is not true (false or NULL). Restrict the rows with the test's
    `config: {where: ...}` when needed. -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}

{#- Generic test: fails on each (entity, metric, sample_date, window) that has more than one row in a timeseries
    mart. `window` is a reserved word, quoted for the target (a plain unique-combination test cannot). -#}
{% test metric_timeseries_unique(model, entity_column) %}

select
    {{ entity_column }},
    metric,
    sample_date,
    {{ adapter.quote('window') }},
    count(*) as occurrences
from {{ model }}
group by {{ entity_column }}, metric, sample_date, {{ adapter.quote('window') }}
having count(*) > 1

{% endtest %}

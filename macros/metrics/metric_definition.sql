{#- One catalog entry, checked and completed with its defaults. Every mistake in the catalog stops the parse with a
    message naming the metric and the field, so a typo never becomes a silently wrong metric. -#}
{% macro metric_definition(name) %}
    {%- set where = "metric '" ~ name ~ "' in macros/metrics/metric_catalog.sql" -%}
    {%- set found = metric_catalog() | selectattr('name', 'equalto', name) | list -%}
    {%- if found | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "metric '" ~ name ~ "' is not in the catalog: add an entry named '" ~ name
            ~ "' to macros/metrics/metric_catalog.sql (README: Add a metric)"
        ) }}
    {%- elif found | length > 1 -%}
        {{ exceptions.raise_compiler_error(where ~ ": the name is used by " ~ found | length ~ " entries; names are unique") }}
    {%- endif -%}
    {%- set entry = found[0] -%}

    {%- set aggregations = [
        'sum', 'count_distinct_from', 'count_distinct_to', 'count_new_from', 'count_returning_from', 'classify_from',
        'median_duration'
    ] -%}
    {%- set known_fields = [
        'name', 'description', 'unit', 'event_types', 'aggregation', 'exclude_bots', 'all_time', 'requires',
        'min_days_per_30', 'below_days_per_30', 'duration', 'window_days', 'min_days', 'below_days', 'average_days'
    ] -%}
    {%- for field in entry -%}
        {%- if field not in known_fields -%}
            {{ exceptions.raise_compiler_error(where ~ ": unknown field '" ~ field ~ "' (known: " ~ known_fields | join(', ') ~ ")") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if not modules.re.fullmatch('[a-z][a-z0-9_]*', name) -%}
        {{ exceptions.raise_compiler_error(where ~ ": name must be snake_case (a-z, 0-9, _), like the model file") }}
    {%- endif -%}
    {%- for field in ['description', 'unit'] -%}
        {%- if entry[field] is not string or entry[field] | trim == '' -%}
            {{ exceptions.raise_compiler_error(where ~ ": " ~ field ~ " is missing (a short text)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if entry.event_types is string or entry.event_types is not iterable or entry.event_types | length == 0 -%}
        {{ exceptions.raise_compiler_error(where ~ ": event_types must be a non-empty list, e.g. [COMMIT_CODE]") }}
    {%- endif -%}
    {%- for event_type in entry.event_types -%}
        {%- if event_type is not string or not modules.re.fullmatch('[A-Z][A-Z_]*', event_type) -%}
            {{ exceptions.raise_compiler_error(where ~ ": event type '" ~ event_type ~ "' is not an int_events event_type (upper case, e.g. PULL_REQUEST_OPENED)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if entry.aggregation not in aggregations -%}
        {{ exceptions.raise_compiler_error(where ~ ": aggregation '" ~ entry.aggregation ~ "' is not one of " ~ aggregations | join(', ')) }}
    {%- endif -%}
    {%- if entry.requires is defined and entry.requires not in ['commits', 'merges'] -%}
        {{ exceptions.raise_compiler_error(where ~ ": requires must be commits or merges (or left out)") }}
    {%- endif -%}

    {%- set all_time_default = entry.aggregation in ['sum', 'count_distinct_from', 'count_distinct_to'] -%}
    {%- set metric = {
        'name': name,
        'description': entry.description | trim,
        'unit': entry.unit | trim,
        'event_types': entry.event_types | list,
        'aggregation': entry.aggregation,
        'exclude_bots': entry.exclude_bots if entry.exclude_bots is defined else false,
        'all_time': entry.all_time if entry.all_time is defined else all_time_default,
        'requires': entry.requires if entry.requires is defined else none,
        'min_days_per_30': entry.min_days_per_30 if entry.min_days_per_30 is defined else none,
        'below_days_per_30': entry.below_days_per_30 if entry.below_days_per_30 is defined else none,
        'duration': entry.duration if entry.duration is defined else none,
        'window_days': entry.window_days if entry.window_days is defined else none,
        'min_days': entry.min_days if entry.min_days is defined else none,
        'below_days': entry.below_days if entry.below_days is defined else none,
        'average_days': entry.average_days if entry.average_days is defined else none,
    } -%}
    {%- if metric.window_days is not none and entry.all_time is not defined -%}
        {%- do metric.update({'all_time': false}) -%}
    {%- endif -%}
    {%- if metric.exclude_bots not in [true, false] or metric.all_time not in [true, false] -%}
        {{ exceptions.raise_compiler_error(where ~ ": exclude_bots and all_time are true or false") }}
    {%- endif -%}

    {%- for field in ['window_days', 'min_days', 'below_days', 'average_days'] -%}
        {%- if metric[field] is not none and (metric[field] is not number or metric[field] <= 0 or metric[field] != metric[field] | int) -%}
            {{ exceptions.raise_compiler_error(where ~ ": " ~ field ~ " must be a whole number of days, at least 1") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if metric.window_days is not none and metric.aggregation not in ['count_distinct_from', 'count_distinct_to', 'classify_from'] -%}
        {{ exceptions.raise_compiler_error(where ~ ": window_days (a fixed window) is for count_distinct_from, count_distinct_to and classify_from") }}
    {%- endif -%}
    {%- if metric.average_days is not none and (metric.window_days is none or metric.requires is not none) -%}
        {{ exceptions.raise_compiler_error(where ~ ": average_days needs window_days (the daily value it averages) and no requires") }}
    {%- endif -%}
    {%- if metric.window_days is not none and metric.aggregation == 'classify_from' -%}
        {%- if metric.min_days_per_30 is not none or metric.below_days_per_30 is not none -%}
            {{ exceptions.raise_compiler_error(where ~ ": with window_days, classify with min_days and/or below_days (days of that window), not *_per_30") }}
        {%- endif -%}
        {%- if metric.min_days is none and metric.below_days is none -%}
            {{ exceptions.raise_compiler_error(where ~ ": classify_from with window_days needs min_days and/or below_days") }}
        {%- endif -%}
    {%- elif metric.min_days is not none or metric.below_days is not none -%}
        {{ exceptions.raise_compiler_error(where ~ ": min_days and below_days belong to classify_from with window_days") }}
    {%- elif metric.aggregation == 'classify_from' -%}
        {%- if metric.min_days_per_30 is none and metric.below_days_per_30 is none -%}
            {{ exceptions.raise_compiler_error(where ~ ": classify_from needs min_days_per_30 and/or below_days_per_30") }}
        {%- endif -%}
        {%- for field in ['min_days_per_30', 'below_days_per_30'] -%}
            {%- if metric[field] is not none and (metric[field] is not number or metric[field] <= 0 or metric[field] != metric[field] | int) -%}
                {{ exceptions.raise_compiler_error(where ~ ": " ~ field ~ " must be a whole number of days, at least 1") }}
            {%- endif -%}
        {%- endfor -%}
    {%- elif metric.min_days_per_30 is not none or metric.below_days_per_30 is not none -%}
        {{ exceptions.raise_compiler_error(where ~ ": min_days_per_30 and below_days_per_30 belong to classify_from only") }}
    {%- endif -%}
    {%- if metric.aggregation == 'median_duration' and metric.duration not in ['pull_request_merge'] -%}
        {{ exceptions.raise_compiler_error(where ~ ": median_duration needs duration: pull_request_merge (the one duration source so far)") }}
    {%- elif metric.aggregation != 'median_duration' and metric.duration is not none -%}
        {{ exceptions.raise_compiler_error(where ~ ": duration belongs to median_duration only") }}
    {%- endif -%}
    {%- if metric.all_time and metric.aggregation in ['classify_from', 'count_new_from', 'count_returning_from', 'median_duration'] -%}
        {{ exceptions.raise_compiler_error(where ~ ": all_time is not available for " ~ metric.aggregation) }}
    {%- endif -%}
    {%- if metric.all_time and metric.window_days is not none -%}
        {{ exceptions.raise_compiler_error(where ~ ": all_time does not go with window_days (one fixed window)") }}
    {%- endif -%}

    {{ return(metric) }}
{% endmacro %}

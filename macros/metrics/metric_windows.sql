{#- The windows every metric is computed over: var `metric_windows` (default 7, 30, 90 and 180 days, and `all`),
    each {name, days}; `all` (days none) only when the metric has an all-time value. -#}
{% macro metric_windows(all_time=true) %}
    {%- set windows = [] -%}
    {%- for window_name in var('metric_windows', ['7d', '30d', '90d', '180d', 'all']) -%}
        {%- if window_name == 'all' -%}
            {%- if all_time -%}
                {%- do windows.append({'name': 'all', 'days': none}) -%}
            {%- endif -%}
        {%- elif modules.re.fullmatch('[1-9][0-9]*d', window_name | string) -%}
            {%- do windows.append({'name': window_name, 'days': window_name[:-1] | int}) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "var metric_windows: '" ~ window_name ~ "' is not a window: use '<days>d' (e.g. '30d') or 'all'"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(windows) }}
{% endmacro %}

{#- The windows a metric's deltas are computed over: its own fixed window (`window_days`, e.g. Electric Capital's
    28 days) when it has one, else the var's windows (with `all` when the metric has an all-time value). -#}
{% macro metric_computed_windows(metric) %}
    {%- if metric.window_days is not none -%}
        {{ return([{'name': metric.window_days ~ 'd', 'days': metric.window_days}]) }}
    {%- endif -%}
    {{ return(metric_windows(metric.all_time)) }}
{% endmacro %}

{#- The windows a metric's rows carry: its computed windows, except that a metric averaging its daily value over
    `average_days` carries one window of that many days. -#}
{% macro metric_output_windows(metric) %}
    {%- if metric.average_days is not none -%}
        {{ return([{'name': metric.average_days ~ 'd', 'days': metric.average_days}]) }}
    {%- endif -%}
    {{ return(metric_computed_windows(metric)) }}
{% endmacro %}

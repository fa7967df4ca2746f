{#- last_incomplete_days (calendar_day, last_incomplete_day): for each sample day, the latest day up to it whose
    GH Archive payloads lacked what the metric requires (commits or merges; int_github__payload_coverage). A
    window is complete when that day is before the window. -#}
{% macro metric_completeness_ctes(metric) -%}
incomplete_days as (
    select archive_day as incomplete_day
    from {{ ref('int_github__payload_coverage') }}
    where not {{ 'commits_known' if metric.requires == 'commits' else 'merges_known' }}
),

calendar_days as (
    select sample_date as calendar_day
    from spine

    union distinct

    select incomplete_day as calendar_day
    from incomplete_days
),

last_incomplete_days as (
    select
        calendar_days.calendar_day,
        max(incomplete_days.incomplete_day) over (
            order by calendar_days.calendar_day
            rows between unbounded preceding and current row
        ) as last_incomplete_day
    from calendar_days
    left join incomplete_days
        on calendar_days.calendar_day = incomplete_days.incomplete_day
),
{%- endmacro %}

{#- The metric columns of a wide latest-value table (code_metrics_by_project_v1), from its contract columns:
    {'metrics': [{column, metric, window, zero_when_missing}], 'flags': [{column, requires, window, metrics}]}.
    `<metric>_<window>` is a catalog metric over a window; `<commits|merges>_complete_<window>` says whether the
    window had that GH Archive data (`metrics`: the catalog metrics requiring it). Columns in `fixed_columns` are
    the model's own. Any other column is an error naming it. With no contract columns (a unit test compiles the
    model with the test's node, which has none) every catalog metric, window and flag is built. -#}
{% macro metric_wide_columns(contract_columns, fixed_columns, model_name) %}
    {%- set metric_names = metric_catalog() | map(attribute='name') | list -%}
    {%- set window_names = metric_windows(true) | map(attribute='name') | list -%}
    {%- set requiring = {'commits': [], 'merges': []} -%}
    {%- set all_columns = [] -%}
    {%- set metric_window_names = [] -%}
    {%- for name in metric_names -%}
        {%- set metric = metric_definition(name) -%}
        {%- if metric.requires is not none -%}
            {%- do requiring[metric.requires].append(name) -%}
        {%- endif -%}
        {%- for window in metric_output_windows(metric) -%}
            {%- do all_columns.append(name ~ '_' ~ window.name) -%}
            {%- if window.name not in window_names -%}
                {%- do metric_window_names.append(window.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for requires in ['commits', 'merges'] -%}
        {%- for window_name in window_names -%}
            {%- do all_columns.append(requires ~ '_complete_' ~ window_name) -%}
        {%- endfor -%}
    {%- endfor -%}

    {%- set where = model_name ~ " (models/marts/metrics/_metrics__models.yml): column " -%}
    {%- set windows_pattern = '(' ~ window_names | join('|') ~ ')' -%}
    {%- set metric_windows_pattern = '(' ~ (window_names + metric_window_names) | unique | join('|') ~ ')' -%}
    {%- set wide = {'metrics': [], 'flags': []} -%}
    {%- for column_name in (contract_columns or all_columns) if column_name not in fixed_columns -%}
        {%- set flag = modules.re.fullmatch('(commits|merges)_complete_' ~ windows_pattern, column_name) -%}
        {%- set match = modules.re.fullmatch('(.+)_' ~ metric_windows_pattern, column_name) -%}
        {%- if flag -%}
            {%- do wide.flags.append({
                'column': column_name, 'requires': flag.group(1), 'window': flag.group(2),
                'metrics': requiring[flag.group(1)]
            }) -%}
        {%- elif match and match.group(1) in metric_names -%}
            {%- set metric = metric_definition(match.group(1)) -%}
            {%- if match.group(2) not in metric_output_windows(metric) | map(attribute='name') | list -%}
                {{ exceptions.raise_compiler_error(
                    where ~ column_name ~ ": " ~ metric.name ~ " has no " ~ match.group(2) ~ " window; remove the column"
                ) }}
            {%- endif -%}
            {%- do wide.metrics.append({
                'column': column_name, 'metric': metric.name, 'window': match.group(2),
                'zero_when_missing': metric.aggregation != 'median_duration'
            }) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                where ~ column_name ~ " is not <metric>_<window> for a catalog metric and a window ("
                ~ window_names | join(', ') ~ "), nor <commits|merges>_complete_<window>, nor one of "
                ~ fixed_columns | join(', ')
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(wide) }}
{% endmacro %}

{{ metric_timeseries_union('project') }}

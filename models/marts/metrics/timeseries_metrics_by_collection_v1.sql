{{ metric_timeseries_union('collection') }}

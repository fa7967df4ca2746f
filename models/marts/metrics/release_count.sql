{{ metric_timeseries('release_count') }}

{{ metric_timeseries('fork_count') }}

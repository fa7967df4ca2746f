{{ metric_timeseries('commit_count') }}

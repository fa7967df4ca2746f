{{ metric_timeseries('commit_author_count') }}

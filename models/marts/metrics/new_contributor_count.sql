{{ metric_timeseries('new_contributor_count') }}

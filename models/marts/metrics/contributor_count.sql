{{ metric_timeseries('contributor_count') }}

{{ metric_timeseries('issue_closed_count') }}

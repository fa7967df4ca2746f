{{ metric_timeseries('issue_opened_count') }}

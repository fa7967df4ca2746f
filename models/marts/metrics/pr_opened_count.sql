{{ metric_timeseries('pr_opened_count') }}

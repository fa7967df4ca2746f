{{ metric_timeseries('parttime_developer_count') }}

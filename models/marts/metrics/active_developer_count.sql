{{ metric_timeseries('active_developer_count') }}

{{ metric_timeseries('fulltime_developer_count') }}

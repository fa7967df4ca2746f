{{ metric_timeseries('ec_parttime_developer_count') }}

{{ metric_timeseries('ec_parttime_developer_monthly_average') }}

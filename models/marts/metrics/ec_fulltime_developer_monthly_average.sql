{{ metric_timeseries('ec_fulltime_developer_monthly_average') }}

{{ metric_timeseries('address_count') }}

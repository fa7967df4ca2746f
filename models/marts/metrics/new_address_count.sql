{{ metric_timeseries('new_address_count') }}

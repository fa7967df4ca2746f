{{ metric_timeseries('returning_address_count') }}

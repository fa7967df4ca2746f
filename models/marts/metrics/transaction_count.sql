{{ metric_timeseries('transaction_count') }}

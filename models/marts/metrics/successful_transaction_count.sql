{{ metric_timeseries('successful_transaction_count') }}

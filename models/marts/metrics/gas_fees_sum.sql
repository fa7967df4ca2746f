{{ metric_timeseries('gas_fees_sum') }}

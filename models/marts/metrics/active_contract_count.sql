{{ metric_timeseries('active_contract_count') }}

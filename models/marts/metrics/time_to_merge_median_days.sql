{{ metric_timeseries('time_to_merge_median_days') }}

{{ metric_timeseries('pr_merged_count') }}

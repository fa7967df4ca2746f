{{ metric_timeseries('star_count') }}

"""Generated sample data for the demo, the tests and the benchmark (never committed: data/ is gitignored)."""

from ingestion.sample.gharchive import (
    DEMO_END,
    DEMO_MISSING_HOUR,
    DEMO_START,
    DRIFT_DAY,
    SAMPLE_REPOS,
    HourFile,
    generate_hour_files,
    generate_hours,
    hour_file_name,
    write_demo_sample,
)

__all__ = [
    "DEMO_END",
    "DEMO_MISSING_HOUR",
    "DEMO_START",
    "DRIFT_DAY",
    "SAMPLE_REPOS",
    "HourFile",
    "generate_hour_files",
    "generate_hours",
    "hour_file_name",
    "write_demo_sample",
]

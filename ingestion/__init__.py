"""The open-source impact warehouse: ingestion jobs and the `impact` command line."""

__version__ = "0.1.0"

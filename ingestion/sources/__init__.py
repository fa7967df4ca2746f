"""Ingestion sources: each reads one upstream source and lands the tracked part of it in the raw layer.

`gharchive` reads GH Archive hour files into `raw.github_events`, one archive day per atomic load.
"""

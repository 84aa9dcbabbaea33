"""Event logs: in process for the embedded default, Redis streams in production."""

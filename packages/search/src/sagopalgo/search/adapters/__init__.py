"""The lot index's adapters (SQLite FTS5, an n-gram table for MariaDB, Elasticsearch, OpenSearch) and HTTP."""

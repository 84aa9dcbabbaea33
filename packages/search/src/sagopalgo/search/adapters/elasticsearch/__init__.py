"""The lot index on Elasticsearch, through the official async client."""

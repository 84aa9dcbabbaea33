"""The lot index on OpenSearch (Amazon OpenSearch Service), through the official async client."""

"""Search use cases: answering queries, and keeping the index in step with the catalog."""

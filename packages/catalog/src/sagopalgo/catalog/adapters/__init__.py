"""Catalog adapters: SQL storage, the lot cache, image storage and the HTTP edge."""

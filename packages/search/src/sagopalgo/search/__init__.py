"""Sagopalgo search context: the lot search index."""

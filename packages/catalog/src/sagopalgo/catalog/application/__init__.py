"""Catalog use cases: categories, photo uploads, listing, reading and the lot transitions."""

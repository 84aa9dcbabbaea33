"""Sagopalgo catalog context: categories, lots, images and the lot lifecycle."""

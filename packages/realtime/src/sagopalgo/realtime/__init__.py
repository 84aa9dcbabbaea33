"""Sagopalgo realtime context: lot event publication and subscription."""

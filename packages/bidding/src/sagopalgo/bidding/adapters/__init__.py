"""Bid gates (in process, Redis), bid logs, the SQL bid store and the HTTP endpoints."""

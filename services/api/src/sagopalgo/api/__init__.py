"""The main API service: composes the contexts into one Litestar app (no rules live here)."""

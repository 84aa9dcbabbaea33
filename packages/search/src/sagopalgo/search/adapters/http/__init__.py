"""``GET /api/v1/search/lots``."""

"""The web front end: server-rendered pages on the API's own application services.

It lives in the API service because a page composes several contexts at once (a lot's page shows
the catalog's lot and bidding's history; "won lots" joins bidding's awards and payments' checkout),
which only the composition may do; it adds no rule of its own. Jinja templates, htmx for the
fragments that change in place, a plain ``EventSource`` on the SSE service for live prices.
"""

from sagopalgo.api.web.router import unrouted_page, web_router, web_templates

__all__ = ["unrouted_page", "web_router", "web_templates"]

"""The pages, one module per area; each handler calls the same application services as the API."""

from sagopalgo.api.web.pages.accounts import AccountPages
from sagopalgo.api.web.pages.browse import BrowsePages
from sagopalgo.api.web.pages.lot import LotPages
from sagopalgo.api.web.pages.mine import MyPages
from sagopalgo.api.web.pages.paying import PayPages
from sagopalgo.api.web.pages.selling import SellPages

__all__ = ["PAGES", "AccountPages", "BrowsePages", "LotPages", "MyPages", "PayPages", "SellPages"]

PAGES = [BrowsePages, LotPages, AccountPages, SellPages, MyPages, PayPages]

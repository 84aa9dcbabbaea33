from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.platform.sql import session_factory


@pytest.fixture
def uow(engine: AsyncEngine) -> Callable[[], SqlCatalogUnitOfWork]:
    sessions = session_factory(engine)
    return lambda: SqlCatalogUnitOfWork(sessions)

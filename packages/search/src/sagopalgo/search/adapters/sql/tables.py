"""Search's own tables: the documents, and the n-gram postings the MariaDB index matches on.

The embedded SQLite index keeps its postings in an FTS5 virtual table instead (``search_fts``,
created by the migration on SQLite only; SQLAlchemy's metadata cannot describe a virtual table, so
the migration environment leaves every ``search_fts*`` table alone).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql

from sagopalgo.platform.sql import UtcDateTime, new_metadata

__all__ = ["FTS_TABLE", "MAX_TERM", "documents", "metadata", "terms"]

metadata = new_metadata()

FTS_TABLE = "search_fts"
MAX_TERM = 32

documents = Table(
    "search_lots",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    Column("listed", Boolean, nullable=False),
    Column("title", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("category_id", BigInteger, nullable=False),
    Column("seller_id", BigInteger, nullable=False),
    Column("seller_username", String(30), nullable=False),
    Column("image_keys", Text, nullable=False),
    Column("start_price", BigInteger, nullable=False),
    Column("bid_increment", BigInteger, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("bid_count", Integer, nullable=False),
    Column("auction_day", Date, nullable=False),
    Column("opens_at", UtcDateTime(), nullable=False),
    Column("closes_at", UtcDateTime(), nullable=False),
    Column("extended_bidding", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Digest of the indexed text and the tokenizer's rules: postings are rewritten only when it changes.
    Column("text_key", String(32), nullable=False),
    # Title and description case-folded: the n-gram index checks a long Korean word's bigrams are adjacent.
    Column("folded", Text, nullable=False),
    # Filters and sorts of the listing's usual shapes; every one ends in the id for stable paging.
    Index("ix_search_lots_listed_category_created", "listed", "category_id", "created_at"),
    Index("ix_search_lots_listed_created", "listed", "created_at"),
    Index("ix_search_lots_listed_closes", "listed", "closes_at"),
    Index("ix_search_lots_listed_price", "listed", "price"),
    Index("ix_search_lots_listed_bids", "listed", "bid_count"),
)

# Postings compare byte for byte: under MariaDB's default (accent- and case-insensitive) collation
# "café" and "cafe" would be one key, and the unique key would refuse the second.
_Term = String(MAX_TERM).with_variant(mysql.VARCHAR(MAX_TERM, collation="utf8mb4_bin"), "mysql", "mariadb")

terms = Table(
    "search_terms",
    metadata,
    Column("term", _Term, primary_key=True),
    Column("lot_id", BigInteger, primary_key=True, autoincrement=False),
    # Occurrences, one in the title counting three times one in the description: what relevance sums.
    Column("weight", SmallInteger, nullable=False),
    Index("ix_search_terms_lot_id", "lot_id"),
)

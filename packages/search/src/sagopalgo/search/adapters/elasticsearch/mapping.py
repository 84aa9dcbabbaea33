"""The lot index's explicit settings and mapping, Korean analysis included.

The original's index had none: dynamic mapping, the standard analyzer, no Korean analysis at all.

Two Korean analyses, chosen by ``SAGOPALGO_ELASTICSEARCH_ANALYZER``:

- ``ngram`` (default, needs no plugin): the standard tokenizer, then ``cjk_width``, ``lowercase``
  and ``cjk_bigram`` — Hangul, Han and kana become overlapping bigrams, other words stay whole.
  These are exactly the domain's terms, so it matches what the SQL indexes match.
- ``nori`` (needs the ``analysis-nori`` plugin on every node): Korean morphological analysis,
  compounds split (``decompound_mode: mixed``) and particles and endings dropped
  (``nori_part_of_speech``). A dictionary does not know every compound an antique's title holds
  ("상감운학문"), so every text field keeps a ``.bigram`` sub-field analysed as in ``ngram`` mode,
  and queries accept a match on either: nori ranks, the bigrams guarantee recall.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["TEXT_FIELDS", "Analyzer", "index_body"]

Analyzer = Literal["ngram", "nori"]
TEXT_FIELDS = ("title", "description")

_BIGRAM = "ko_bigram"
_NORI = "ko_nori"


def _analysis(analyzer: Analyzer) -> dict[str, Any]:
    analysis: dict[str, Any] = {
        "filter": {"ko_bigram_filter": {"type": "cjk_bigram", "output_unigrams": False}},
        "analyzer": {
            _BIGRAM: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["cjk_width", "lowercase", "ko_bigram_filter"],
            }
        },
    }
    if analyzer == "nori":
        analysis["tokenizer"] = {"ko_nori_tokenizer": {"type": "nori_tokenizer", "decompound_mode": "mixed"}}
        analysis["filter"]["ko_pos_filter"] = {"type": "nori_part_of_speech"}
        analysis["analyzer"][_NORI] = {
            "type": "custom",
            "tokenizer": "ko_nori_tokenizer",
            "filter": ["ko_pos_filter", "cjk_width", "lowercase"],
        }
    return analysis


def _text(analyzer: Analyzer) -> dict[str, Any]:
    if analyzer == "ngram":
        return {"type": "text", "analyzer": _BIGRAM}
    return {"type": "text", "analyzer": _NORI, "fields": {"bigram": {"type": "text", "analyzer": _BIGRAM}}}


def index_body(analyzer: Analyzer) -> dict[str, Any]:
    """``settings`` and ``mappings`` for ``PUT /<index>``; ``dynamic: strict`` refuses stray fields."""
    stored = {"type": "keyword", "index": False, "doc_values": False}
    properties: dict[str, Any] = {
        "id": {"type": "long"},
        "version": {"type": "long"},
        "listed": {"type": "boolean"},
        **{field: _text(analyzer) for field in TEXT_FIELDS},
        "category_id": {"type": "long"},
        "seller_id": {"type": "long"},
        "seller_username": stored,
        "image_keys": stored,
        "start_price": {"type": "long"},
        "bid_increment": {"type": "long", "index": False},
        "current_price": {"type": "long"},
        "price": {"type": "long"},
        "bid_count": {"type": "integer"},
        "auction_day": {"type": "date", "format": "strict_date"},
        "opens_at": {"type": "date"},
        "closes_at": {"type": "date"},
        "extended_bidding": {"type": "boolean"},
        "status": {"type": "keyword"},
        "created_at": {"type": "date"},
    }
    return {
        "settings": {"analysis": _analysis(analyzer)},
        "mappings": {"dynamic": "strict", "properties": properties},
    }

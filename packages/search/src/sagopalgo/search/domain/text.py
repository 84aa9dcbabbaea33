"""How text becomes search terms: one set of rules for every index.

Korean nouns are mostly two syllables ("청자", "백자") and are written glued to the words around
them ("고려청자", "달항아리를"), so a tokenizer that splits on spaces finds neither, and a trigram
index cannot hold a two-syllable word at all. Runs of Hangul (and of the other scripts written
without spaces: Han characters, kana) are therefore indexed as overlapping syllable bigrams
("고려청자" → 고려 려청 청자): a two-syllable query is one term, a longer one a phrase of bigrams. A
lone syllable stays a unigram. Other letters and digits form whole words, lowercased. This is what
Elasticsearch's standard tokenizer followed by its ``cjk_bigram`` filter does, so the SQL indexes and
the Elasticsearch ``ngram`` analyzer agree on what matches.

A query is split the same way, and a Korean query word loses a trailing particle ("달항아리를" →
"달항아리", "백자의" → "백자"). Stripping can only widen a match — a text holding the whole word holds
the stripped one too — so a noun that merely ends like a particle ("조각가") still finds itself.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

__all__ = [
    "MAX_QUERY_TERMS",
    "MAX_WORD",
    "TOKENIZER_VERSION",
    "QueryTerm",
    "index_terms",
    "normalize",
    "query_terms",
    "strip_particle",
    "text_key",
]

MAX_WORD = 32
"""Longer words are cut to this many characters (on both sides, so they still match each other)."""
MAX_QUERY_TERMS = 10
"""More terms than this in one query are ignored: each costs the index a lookup."""
TOKENIZER_VERSION = 1
"""Bump when these rules change: stored index text made under other rules is then rewritten."""

# Longest first, so "에서는" is stripped whole rather than leaving "에서".
_PARTICLES = sorted(
    {
        "이", "가", "을", "를", "은", "는", "의", "에", "도", "만", "와", "과", "로", "나", "랑",
        "으로", "에서", "에게", "한테", "까지", "부터", "처럼", "보다", "이나", "이랑", "하고",
        "께서", "마저", "조차", "밖에", "에는", "에도", "으로는", "로는", "에서는", "에서도",
        "이라도", "라도", "이라는", "라는", "이란", "란", "이며", "며", "이고", "고",
    },
    key=len,
    reverse=True,
)  # fmt: skip
_MIN_STEM = 2
"""A particle is stripped only when at least two syllables remain ("화로" is not "화" + "로")."""


def _cjk(ch: str) -> bool:
    """Scripts written without spaces between words: Hangul, Han, kana."""
    o = ord(ch)
    return (
        0xAC00 <= o <= 0xD7A3  # Hangul syllables
        or 0x1100 <= o <= 0x11FF  # Hangul jamo
        or 0x3130 <= o <= 0x318F  # Hangul compatibility jamo
        or 0x3040 <= o <= 0x30FF  # hiragana, katakana
        or 0x3400 <= o <= 0x4DBF  # Han, extension A
        or 0x4E00 <= o <= 0x9FFF  # Han
        or 0xF900 <= o <= 0xFAFF  # Han compatibility ideographs
    )


def normalize(text: str) -> str:
    """NFKC (full-width letters and composed Hangul become the usual ones), then case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> list[tuple[str, bool]]:
    """Maximal runs of CJK characters or of other letters and digits, as ``(run, is_cjk)``."""
    runs: list[tuple[str, bool]] = []
    current: list[str] = []
    current_cjk = False
    for ch in normalize(text):
        cjk = _cjk(ch)
        if not cjk and not ch.isalnum():
            if current:
                runs.append(("".join(current), current_cjk))
                current = []
            continue
        if current and cjk != current_cjk:
            runs.append(("".join(current), current_cjk))
            current = []
        current.append(ch)
        current_cjk = cjk
    if current:
        runs.append(("".join(current), current_cjk))
    return runs


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(text: str) -> list[str]:
    """The terms a field is indexed under, in text order (phrase queries rely on the order)."""
    terms: list[str] = []
    for run, cjk in _runs(text):
        terms.extend(_bigrams(run) if cjk else [run[:MAX_WORD]])
    return terms


def text_key(*fields: str) -> str:
    """A digest of the indexed text and of these rules: when it is unchanged, so are the terms."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(TOKENIZER_VERSION).encode())
    for field in fields:
        digest.update(b"\x00" + field.encode())
    return digest.hexdigest()


def strip_particle(word: str) -> str:
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= _MIN_STEM:
            return word[: -len(particle)]
    return word


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One word of a query; every term of a query must match, in the title or the description."""

    text: str
    cjk: bool

    @property
    def grams(self) -> tuple[str, ...]:
        """The index terms that must appear, consecutively, for this word to match."""
        return tuple(_bigrams(self.text)) if self.cjk else (self.text,)

    @property
    def prefix(self) -> bool:
        """A lone CJK syllable matches every bigram it starts ("책" finds "책상" and "책을")."""
        return self.cjk and len(self.text) == 1


def query_terms(q: str) -> tuple[QueryTerm, ...]:
    """The query's words as index-ready terms: particles stripped, repeats dropped, at most ten."""
    seen: dict[QueryTerm, None] = {}
    for run, cjk in _runs(q):
        term = QueryTerm(strip_particle(run) if cjk else run[:MAX_WORD], cjk)
        seen.setdefault(term, None)
    return tuple(seen)[:MAX_QUERY_TERMS]

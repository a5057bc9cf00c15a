"""The search terms of a text: the one tokenizer of the lexical index, its queries and its baseline.

Terms are runs of letters and digits, case-folded, accents removed ("Café" and "cafe" are one
term). The FTS5 table is given these terms joined by spaces and splits them with its ``ascii``
tokenizer, which only splits at ASCII punctuation and spaces: so FTS5's terms are exactly these,
and BM25's document lengths and frequencies (kept by :mod:`shizu.store.memories`) agree with its
postings.
"""

from __future__ import annotations

import re
import unicodedata

_TERM = re.compile(r"[^\W_]+")


def terms(text: str) -> list[str]:
    """The terms of ``text``, in order, repeats kept."""
    text = text.casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _TERM.findall(text)

"""How much of one text another holds, by the search's own terms (PostgreSQL `english` lexemes).

The similar-session search scores a candidate by the share of the problem's lexemes it holds; the
inferred verdict uses the same measure: the share of the assessment's lexemes (its likely cause, or a
similar session's resolution) that the actual resolution holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from relaydesk.db.uow import UnitOfWork

_LEXEMES = text(
    "SELECT t.n, tsvector_to_array(to_tsvector('english', t.body)) AS terms "
    "FROM unnest(CAST(:texts AS text[])) WITH ORDINALITY AS t(body, n) ORDER BY t.n"
)


async def lexemes(uow: UnitOfWork, texts: Sequence[str]) -> list[set[str]]:
    if not texts:
        return []
    rows = await uow.rows(_LEXEMES, {"texts": list(texts)})
    return [set(row.terms or []) for row in rows]


def share(wanted: set[str], found: set[str]) -> float:
    """The share of `wanted` that `found` holds; 0 when nothing is wanted."""
    return len(wanted & found) / len(wanted) if wanted else 0.0

"""Similar sessions: the account's resolved history ranked by BM25 in PostgreSQL, then judged.

Rank first, then judge. The query is the new session's problem (weighted 3), steps and results, reason
and notes (1 each), turned into terms by the same SQL function that indexed the history
(`relaydesk_search_terms`, migration 0007: english lexemes plus exact tokens). Each term's rarity
(IDF) comes from the account's own document frequencies; terms the account has never used are
replaced by their nearest spelling in its vocabulary (pg_trgm, through `relaydesk_near_terms`), at a
discount. The top candidates come
back whenever any candidate shares a term: nothing filters the list empty.

Then each candidate is judged from two figures: its `score` (BM25 as a share of what this query could
score at most, so queries of any length compare) and, for the best one, its `margin` over the next
(how far ahead it stands). The thresholds are calibrated on ../shared/data with a tuning/held-out split
(benchmarks/summaries_quality.py prints the table they were chosen from):

- strong: score ≥ STRONG_SCORE and margin ≥ STRONG_MARGIN → high confidence
- possible: score ≥ POSSIBLE_SCORE → medium confidence
- weak: anything else: listed, but grounds no cause and no chip.

The text that leaves this module is redacted (invariant 7) and generalised (identifiers.py): another
session's IPs, hosts, people, emails, tickets and its client's and contact's names never reach this one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text

from relaydesk.db.uow import UnitOfWork
from relaydesk.redaction import redact
from relaydesk.summaries.boost import boosted_order, helpful_boost
from relaydesk.summaries.identifiers import generalise
from relaydesk.summaries.schemas import MatchStrength, SimilarSession
from relaydesk.summaries.words import jaccard, terms

MAX_SIMILAR = 3
# Two fixes agree when this share of their words is the same (Jaccard).
AGREEMENT = 0.3
# BM25 parameters (the usual ones: saturation k1 and length normalisation b).
K1 = 1.2
B = 0.75
# Work per query is bounded: the rarest query terms are taken while their postings fit this budget.
POSTINGS_BUDGET = 20_000
MAX_QUERY_TERMS = 48
# Near spellings (pg_trgm) count at this share of a term's weight, and only this similar or closer.
NEAR_WEIGHT = 0.8
NEAR_SIMILARITY = 0.5

# The judgement, chosen on the tuning part of ../shared/data from the table benchmarks/summaries_quality.py
# prints (scores count the problem's unseen terms too): possible at score ≥ 0.20 with a 0.10 lead (23 of
# 58 twins shown at medium/high, 4 of 58 false groundings, precision 0.77); strong at ≥ 0.25 with a 0.20
# lead (14 of 58, no false grounding). The held-out part is reported by the same script, never tuned on.
STRONG_SCORE = 0.25
STRONG_MARGIN = 0.20
POSSIBLE_SCORE = 0.20
POSSIBLE_MARGIN = 0.10


@dataclass(frozen=True)
class Judgement:
    strong_score: float = STRONG_SCORE
    strong_margin: float = STRONG_MARGIN
    possible_score: float = POSSIBLE_SCORE
    possible_margin: float = POSSIBLE_MARGIN
    # A runner-up is possible too when it scores at least this share of the best (and the best is).
    runner_up_share: float = 0.8

    def best(self, score: float, margin: float) -> MatchStrength:
        if score >= self.strong_score and margin >= self.strong_margin:
            return "strong"
        if score >= self.possible_score and margin >= self.possible_margin:
            return "possible"
        return "weak"

    def runner_up(self, score: float, best_score: float, best: MatchStrength) -> MatchStrength:
        if best == "weak" or score < self.possible_score or score < best_score * self.runner_up_share:
            return "weak"
        return "possible"


JUDGEMENT = Judgement()

_RANK_SQL = text(
    """
    WITH corpus AS (
        SELECT docs, (total_len / greatest(docs, 1))::float8 AS avgdl
        FROM search_corpus WHERE account_id = :account
    ),
    q AS (
        SELECT term, tf AS qtf FROM relaydesk_search_terms(:problem, '', :steps, :notes)
    ),
    problem_terms AS (
        SELECT term FROM relaydesk_search_terms(:problem, '', '', '')
    ),
    known AS (
        SELECT q.term, q.qtf, t.df FROM q
        JOIN search_terms t ON t.account_id = :account AND t.term = q.term AND t.df > 0
    ),
    near AS (
        SELECT n.term, q.qtf * CAST(:near_weight AS float8) AS qtf, n.df, n.query_term
        FROM relaydesk_near_terms(
            ARRAY(SELECT q.term FROM q WHERE left(q.term, 1) <> '=' AND length(q.term) >= 5
                  AND NOT EXISTS (SELECT 1 FROM known k WHERE k.term = q.term)),
            CAST(:near_similarity AS real)
        ) n
        JOIN q ON q.term = n.query_term
    ),
    weighted AS (
        SELECT u.term, max(u.qtf) AS qtf, max(u.df) AS df,
               ln(1.0 + (c.docs - max(u.df) + 0.5)::float8 / (max(u.df) + 0.5)::float8) AS idf
        FROM (SELECT term, qtf, df FROM known UNION ALL SELECT term, qtf, df FROM near) u
        CROSS JOIN corpus c
        GROUP BY u.term, c.docs
    ),
    chosen AS (
        SELECT term, qtf, idf FROM (
            SELECT term, qtf, idf,
                   sum(df) OVER (ORDER BY idf * qtf DESC, term) AS spent,
                   row_number() OVER (ORDER BY idf * qtf DESC, term) AS n
            FROM weighted
        ) w
        WHERE (spent <= :budget OR n = 1) AND n <= :max_terms
    ),
    ranked AS MATERIALIZED (
        SELECT p.session_id,
               sum(c.idf * c.qtf * p.tf * (CAST(:k1 AS float8) + 1)
                   / (p.tf + CAST(:k1 AS float8) * (1 - CAST(:b AS float8)
                      + CAST(:b AS float8) * p.doc_len / corpus.avgdl))) AS score
        FROM chosen c
        JOIN search_postings p ON p.account_id = :account AND p.term = c.term
        CROSS JOIN corpus
        WHERE p.session_id IS DISTINCT FROM :exclude
        GROUP BY p.session_id
        ORDER BY score DESC, p.session_id
        LIMIT :limit
    )
    SELECT r.session_id, r.score,
           -- The best this query could score: its chosen terms, and also the PROBLEM's terms that no
           -- past session of the account holds (at the rarity of an unseen term). Leaving those out
           -- made a problem sharing one common word with history ("staff") look like a strong match;
           -- unseen words of the steps are not counted (steps always bring words of their own).
           ((SELECT sum(idf * qtf) FROM chosen)
            + (SELECT coalesce(sum(q.qtf) * ln(1.0 + (max(corpus.docs) + 0.5)::float8 / 0.5), 0)
               FROM q CROSS JOIN corpus
               WHERE q.term IN (SELECT term FROM problem_terms)
                 AND NOT EXISTS (SELECT 1 FROM known k WHERE k.term = q.term)
                 AND NOT EXISTS (SELECT 1 FROM near n WHERE n.query_term = q.term))
           ) * (CAST(:k1 AS float8) + 1) AS best_possible,
           s.problem_summary, s.resolution, s.client_name, s.contact_name,
           ARRAY(SELECT st.action FROM steps st WHERE st.session_id = r.session_id AND st.outcome = 'fixed'
                 ORDER BY st.created_at DESC, st.id LIMIT 2) AS fixing_steps
    FROM ranked r
    -- One primary-key probe per ranked row (the planner cannot know there are only `limit` of them).
    CROSS JOIN LATERAL (
        SELECT problem_summary, resolution, client_name, contact_name FROM sessions WHERE id = r.session_id
        OFFSET 0
    ) s
    ORDER BY r.score DESC, r.session_id
    """
)


@dataclass(frozen=True)
class Candidate:
    """A ranked candidate before judgement (the benchmark calibrates on these)."""

    id: uuid.UUID
    score: float
    problem: str
    resolution: str
    fixing_steps: list[str]
    clients: tuple[str, ...]
    people: tuple[str, ...]


async def rank(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    *,
    problem: str,
    context: str = "",
    notes: str = "",
    exclude_session_id: uuid.UUID | None = None,
    limit: int = MAX_SIMILAR + 1,
) -> list[Candidate]:
    """The best `limit` resolved sessions of this account for the query, best first, with normalised
    scores (0 to 1). One statement; the per-account tables are under row-level security too."""
    # The planner's cost guesses for this statement are high enough to trigger JIT compilation, which
    # costs more than the whole query; it never pays here.
    await uow.result(text("SET LOCAL jit = off"))
    rows = await uow.rows(
        _RANK_SQL,
        {
            "account": account_id,
            "problem": problem,
            "steps": context,
            "notes": notes,
            "exclude": exclude_session_id,
            "limit": limit,
            "k1": K1,
            "b": B,
            "budget": POSTINGS_BUDGET,
            "max_terms": MAX_QUERY_TERMS,
            "near_weight": NEAR_WEIGHT,
            "near_similarity": NEAR_SIMILARITY,
        },
    )
    return [
        Candidate(
            id=row.session_id,
            score=float(row.score) / float(row.best_possible) if row.best_possible else 0.0,
            problem=row.problem_summary,
            resolution=row.resolution or "",
            fixing_steps=list(row.fixing_steps or []),
            clients=(row.client_name,) if row.client_name else (),
            people=(row.contact_name,) if row.contact_name else (),
        )
        for row in rows
    ]


def _fix_words(cand: Candidate) -> frozenset[str]:
    return terms(cand.resolution) | terms(" ".join(cand.fixing_steps))


def margin_of(candidates: list[Candidate]) -> float:
    """How far the best candidate stands ahead of the next one that was fixed differently, as a share of
    its score. A runner-up fixed the same way confirms the best rather than competing with it."""
    if not candidates or candidates[0].score <= 0:
        return 0.0
    best = _fix_words(candidates[0])
    rival = next((c for c in candidates[1:] if jaccard(best, _fix_words(c)) < AGREEMENT), None)
    return (candidates[0].score - (rival.score if rival else 0.0)) / candidates[0].score


def judge(candidates: list[Candidate], judgement: Judgement = JUDGEMENT) -> list[SimilarSession]:
    """The top candidates as similar sessions, each with its strength; redacted and generalised."""
    out: list[SimilarSession] = []
    margin = margin_of(candidates)
    best: MatchStrength = "weak"
    for n, cand in enumerate(candidates[:MAX_SIMILAR]):
        if n == 0:
            best = strength = judgement.best(cand.score, margin)
        else:
            strength = judgement.runner_up(cand.score, candidates[0].score, best)
        out.append(
            SimilarSession(
                id=cand.id,
                problem=generalise(redact(cand.problem), cand.clients, cand.people),
                resolution=generalise(redact(cand.resolution), cand.clients, cand.people),
                score=round(cand.score, 3),
                strength=strength,
                margin=round(margin if n == 0 else 0.0, 3),
                fixing_steps=[generalise(redact(a), cand.clients, cand.people) for a in cand.fixing_steps],
            )
        )
    return out


async def find_similar(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    *,
    problem: str,
    context: str = "",
    notes: str = "",
    exclude_session_id: uuid.UUID | None = None,
) -> list[SimilarSession]:
    """Resolved sessions of this account that look like this one, best first (never another account's)."""
    candidates = await rank(
        uow, account_id, problem=problem, context=context, notes=notes, exclude_session_id=exclude_session_id
    )
    # Past sessions a claimer marked "this helped" move up, within MAX_BOOST (summaries/boost.py);
    # the judgement still reads the textual scores.
    boosts = await helpful_boost(uow, account_id, [c.id for c in candidates])
    return judge(boosted_order(candidates, score=lambda c: c.score, key=lambda c: c.id, boosts=boosts))

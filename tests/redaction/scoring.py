"""Score the rules on a corpus part: secrets caught and innocents changed (tests and benchmark)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from relaydesk.redaction import redact
from tests.redaction import corpus, corpus_heldout, corpus_lines
from tests.redaction.marked import parse


@dataclass
class Score:
    secret_lines: int = 0
    missed: list[str] = field(default_factory=list)
    innocent_lines: int = 0
    changed: list[str] = field(default_factory=list)

    @property
    def caught(self) -> int:
        return self.secret_lines - len(self.missed)

    @property
    def innocent_changed_share(self) -> float:
        return len(self.changed) / self.innocent_lines if self.innocent_lines else 0.0


def score(
    secret_lines: Iterable[str],
    innocent_lines: Iterable[str],
    exact: Iterable[tuple[str, tuple[str, ...]]] = (),
) -> Score:
    """`secret_lines` in «» form; `exact` as (text, secrets) pairs, scored on the secrets alone."""
    result = Score()
    for line in secret_lines:
        text, secrets, prefix = parse(line)
        out = redact(text)
        result.secret_lines += 1
        if any(s in out for s in secrets) or not out.startswith(prefix):
            result.missed.append(line)
    for text, secrets in exact:
        result.secret_lines += 1
        out = redact(text)
        if any(s in out for s in secrets):
            result.missed.append(text)
    for line in innocent_lines:
        result.innocent_lines += 1
        if redact(line) != line:
            result.changed.append(line)
    return result


def tuning() -> Score:
    return score(
        corpus_lines.SECRET_LINES,
        [t for _, t in corpus.INNOCENT_CASES] + corpus_lines.INNOCENT_LINES,
        [(c.text, c.secrets) for c in corpus.SECRET_CASES],
    )


def heldout() -> Score:
    return score(corpus_heldout.SECRET_LINES, corpus_heldout.INNOCENT_LINES)

"""The corpus as a whole: size, every secret caught, at most 2% of look-alikes changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from relaydesk.redaction import redact
from tests.redaction import corpus_heldout, corpus_lines
from tests.redaction.marked import parse
from tests.redaction.scoring import Score, heldout, tuning


def test_corpus_is_big_enough() -> None:
    t, h = tuning(), heldout()
    assert t.secret_lines + h.secret_lines >= 200
    assert t.innocent_lines + h.innocent_lines >= 150
    assert h.secret_lines >= 60 and h.innocent_lines >= 45


def test_tuning_part_every_secret_caught() -> None:
    assert tuning().missed == []


def test_heldout_part_every_secret_caught_bar_the_recorded_misses() -> None:
    missed = set(heldout().missed)
    assert missed <= corpus_heldout.KNOWN_MISSES, sorted(missed - corpus_heldout.KNOWN_MISSES)


@pytest.mark.parametrize("part", [tuning, heldout], ids=["tuning", "heldout"])
def test_at_most_two_percent_of_innocents_changed(part: Callable[[], Score]) -> None:
    result = part()
    assert result.innocent_changed_share <= 0.02, result.changed


@pytest.mark.parametrize("part", [tuning, heldout], ids=["tuning", "heldout"])
def test_redacting_twice_equals_once(part: Callable[[], Score]) -> None:
    lines = corpus_lines.SECRET_LINES if part is tuning else corpus_heldout.SECRET_LINES
    for line in lines:
        once = redact(parse(line)[0])
        assert redact(once) == once, line

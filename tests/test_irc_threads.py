"""The #ubuntu IRC threads kept for benchmarks and tests (benchmarks.irc_threads), credited as licensed."""

from __future__ import annotations

from importlib import resources

from benchmarks.irc_threads import CURATED, clean, load_threads, outcome_of, thread_to_session


def test_curated_threads_credit_their_source_and_convert() -> None:
    threads = load_threads(CURATED)
    assert 10 <= len(threads) <= 20
    assert len({t["id"] for t in threads}) == len(threads)
    licence = resources.files("relaydesk").joinpath("DEMO_DATA_LICENSE.md").read_text(encoding="utf-8")
    assert "Kummerfeld" in licence and "CC-BY-4.0" in licence
    for thread in threads:
        assert "CC-BY-4.0" in thread["source"] and thread["resolution"]["status"] == "resolved"
        session = thread_to_session(thread)
        assert session.problem and session.resolution and session.source_id == thread["id"]
        assert thread["id"] in session.steps[0].action and "CC-BY-4.0" in session.steps[0].action
        outcomes = [step.outcome for step in session.steps]
        assert "fixed" in outcomes, thread["id"]
        assert all(outcome in ("fixed", "failed", "partial", "info") for outcome in outcomes)


def test_outcomes_read_from_the_askers_reply() -> None:
    assert outcome_of("thanks mate - works fine!!") == "fixed"
    assert outcome_of('that didnt work, i got "Couldn\'t find package"') == "failed"
    assert outcome_of("same error.  not going away.") == "failed"
    assert outcome_of("oh ya that worked, sort of.  it still doesn't compile") == "partial"
    assert outcome_of("ext4") == "info"
    assert clean("someone, helper2: Empty line, no messages") == "Empty line, no messages"
    assert clean("asker: http://paste.ubuntu.com/485550/") == "http://paste.ubuntu.com/485550/"

"""Quality of the offline engine's summaries over 160 real troubleshooting threads.

    .venv/bin/python -m benchmarks.summaries_quality

Each #ubuntu IRC thread in ../shared/data/ (Kummerfeld et al., ACL 2019, CC-BY-4.0) becomes a session
through benchmarks.irc_threads.thread_to_session (the asker's first message is the problem, each
run of helper suggestions a step whose result is the asker's reply, with an outcome read from that
reply; other asker messages are notes). The 112 threads marked resolved are the account's resolved
history; every one of the 160 is then summarised by the offline engine with the similar sessions found
by full-text search in that history, leaving the thread itself out.

Printed:
- failed or partial steps the summary mentions: cited by a fact of `what_we_know` AND named in the
  summary's text (the first five words of the step's action appear in `what_we_know` or the prose);
- facts of `what_we_know` with no supporting step: a fact that cites no step, cites a step not in the
  session, or holds a content word found in none of the steps it cites (must be 0);
- how often there was a basis for a cause, the confidence given, and, for resolved threads, how often a
  suggested step shares at least half its words with what actually fixed that thread (leave-one-out).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections import Counter
from datetime import UTC, datetime

from benchmarks._support import scratch_database
from benchmarks.irc_threads import DemoSession, thread_to_session
from benchmarks.summaries_offline import DATA, add_session, team
from relaydesk.db.uow import Database
from relaydesk.sessions import service as sessions
from relaydesk.summaries import offline
from relaydesk.summaries import service as summaries
from relaydesk.summaries.schemas import Summary

# Words the engine itself writes around the quoted steps.
TEMPLATE_WORDS = offline.terms("failed partly helped fixed it note also tried without success and more")


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def mentioned(step_action: str, step_id: str, summary: Summary) -> tuple[bool, bool]:
    cited = any(step_id in fact.step_ids for fact in summary.facts)
    head = " ".join(_words(step_action).split()[:5])
    text = _words(" ".join(summary.what_we_know) + " " + summary.summary_prose)
    return cited, bool(head) and head in text


def unsupported(summary: Summary, steps: dict[str, str]) -> list[str]:
    bad = []
    for fact in summary.facts:
        if not fact.step_ids or any(sid not in steps for sid in fact.step_ids):
            bad.append(fact.text)
            continue
        source = frozenset().union(*(offline.terms(steps[sid]) for sid in fact.step_ids))
        if offline.terms(re.sub(r"\band \d+ more\b", "", fact.text)) - TEMPLATE_WORDS - source:
            bad.append(fact.text)
    if [f.text for f in summary.facts] != summary.what_we_know:
        bad.append("what_we_know differs from its cited facts")
    return bad


def clean(demo: DemoSession) -> DemoSession:
    # The demo prepends a credit note; it is not part of the thread.
    demo.steps = [s for s in demo.steps if not s.action.startswith("Demo data:")]
    return demo


async def main() -> None:
    import json

    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    url = scratch_database("summaries_quality")
    db = Database(url, pool_size=4)
    junior, _, _ = await team(db, "Quality MSP")
    items = []
    for row in rows:
        demo = clean(thread_to_session(row))
        resolved = row["resolution"]["status"] == "resolved"
        items.append((demo, resolved, await add_session(db, junior, demo, resolve=resolved)))

    failed_partial = cited = named = both = 0
    facts = unsupported_facts = 0
    examples: list[str] = []
    confidence: Counter[str] = Counter()
    with_basis = hits = resolved_with_steps = 0
    timings = []
    for demo, resolved, session_id in items:
        async with db.uow(junior.account_id) as uow:
            session = await sessions.get_session(uow, junior, session_id)
            material = await summaries.session_material(uow, session)
        started = time.perf_counter()
        summary = offline.summarize(material, now=datetime.now(UTC))
        timings.append(time.perf_counter() - started)

        texts = {str(s.id): f"{s.action} {s.result or ''}" for s in material.steps}
        for step in material.steps:
            if step.outcome in ("failed", "partial"):
                failed_partial += 1
                is_cited, is_named = mentioned(step.action, str(step.id), summary)
                cited += is_cited
                named += is_named
                both += is_cited and is_named
        facts += len(summary.facts)
        bad = unsupported(summary, texts)
        unsupported_facts += len(bad)
        examples.extend(bad[:1])
        confidence[summary.confidence] += 1
        with_basis += bool(summary.evidence)
        if resolved and summary.suggested_steps and demo.resolution:
            resolved_with_steps += 1
            fix = offline.terms(demo.resolution)
            hits += any(
                len(offline.terms(s) & fix) >= 0.5 * max(1, len(offline.terms(s)))
                for s in summary.suggested_steps
            )
    await db.dispose()

    def share(part: int, whole: int) -> str:
        return f"{part}/{whole} ({part / whole:.1%})" if whole else "0/0"

    print(f"threads: {len(items)} ({sum(r for _, r, _ in items)} resolved = the history)")
    print(f"failed or partial steps: {failed_partial}")
    print(f"  mentioned by the summary (cited and named): {share(both, failed_partial)}")
    print(f"  cited by a fact: {share(cited, failed_partial)}")
    print(f"  named in the text: {share(named, failed_partial)}")
    print(f"facts in what_we_know: {facts}; with no supporting step: {unsupported_facts}")
    for example in examples[:5]:
        print(f"  e.g. {example!r}")
    print(f"a basis for the cause (similar resolved session): {share(with_basis, len(items))}")
    print(f"confidence: {dict(confidence)}")
    print(
        "resolved threads with suggestions where one matches the thread's own fix "
        f"(≥ half its words, leave-one-out): {share(hits, resolved_with_steps)}"
    )
    print(
        f"offline engine time per summary (no search): p50 {statistics.median(timings) * 1000:.2f} ms, "
        f"max {max(timings) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())

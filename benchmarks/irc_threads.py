"""#ubuntu IRC support threads as troubleshooting sessions: benchmark and test material only.

The threads come from the corpus of Jonathan K. Kummerfeld, Sai R. Gouravajhala, Joseph J. Peper,
Vignesh Athreya, Chulaka Gunasekara, Jatin Ganhotra, Siva Sankalp Patel, Lazaros C. Polymenakos and
Walter S. Lasecki, "A Large-Scale Corpus for Conversation Disentanglement", ACL 2019
(https://github.com/jkkummerfeld/irc-disentanglement), licensed CC-BY-4.0
(https://creativecommons.org/licenses/by/4.0/): the 160 threads in ../shared/data/ for the benchmarks,
and 16 curated ones in tests/data/irc_threads.jsonl for the tests (changes listed in
src/relaydesk/DEMO_DATA_LICENSE.md). They were the demo's history once; the demo now ships its own
MSP history (relaydesk/demo/history.jsonl). Every converted session carries a note crediting its thread.

A thread becomes a session this way: the asker's first message is the problem; each run of
helper suggestions becomes one step (the action) whose result is the asker's next reply,
with an outcome read from that reply; further asker messages become notes; the resolution
is the curated `fix` line, else the step the asker thanked for. Turns listed in a thread's
`skip` (side chatter, repeats) are left out; the turns themselves are kept verbatim.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CREDIT = "Kummerfeld et al., ACL 2019, CC-BY-4.0"
CURATED = Path(__file__).resolve().parents[1] / "tests" / "data" / "irc_threads.jsonl"


@dataclass
class DemoStep:
    action: str
    result: str | None = None
    outcome: str = "info"


@dataclass
class DemoSession:
    problem: str
    category: str | None
    steps: list[DemoStep] = field(default_factory=list)
    resolution: str | None = None
    source_id: str | None = None


# --- turning an IRC thread into a session ------------------------------------------------------

_ADDRESS = re.compile(
    r"^\s*@?(?:asker|someone|helper\d+|[a-z][\w-]{1,14}(?=\s*(?:\([^)]*\))?\s*:))"
    r"\s*(?:\([^)]*\))?\s*[:,]?\s+",
    re.IGNORECASE,
)
_GREETING = re.compile(r"^(?:hi|hello|hey)(?: guys| all| there)?\s*[,!.]*\s+", re.IGNORECASE)
_NEGATED = re.compile(
    r"\b(?:didn'?t|doesn'?t|does not|did not|won'?t|not|no|never|nothing)\b[^.!?]{0,20}\b(?:work|fix|help)",
    re.IGNORECASE,
)
_FIXED = re.compile(
    r"\b(?:works?|worked|working|fixed|solved|that was (?:it|my problem|the proble\w*)|bingo|perfect\w*)\b",
    re.IGNORECASE,
)
_PARTIAL = re.compile(r"\b(?:sort of|partly|partially|kind of|but it still|works?,? but)\b", re.IGNORECASE)
_FAILED = re.compile(
    r"\b(?:same|still|error|fails?|failed|invalid|unknown|nothing|nope|no luck|can'?t|cannot|"
    r"not found|denied|doesn'?t|didn'?t|isn'?t|aren'?t|not)\b",
    re.IGNORECASE,
)


def clean(text: str) -> str:
    """One IRC line as a readable sentence: no leading nick addressing, tidy spaces."""
    text = " ".join(text.split())
    while (stripped := _GREETING.sub("", _ADDRESS.sub("", text, count=1), count=1)) != text:
        text = stripped
    return text if text.startswith("http") else text[:1].upper() + text[1:]


def outcome_of(result: str) -> str:
    """What the asker's reply says about the step they were answering."""
    if _NEGATED.search(result):
        return "failed"
    if _FIXED.search(result):
        return "partial" if _PARTIAL.search(result) else "fixed"
    if _FAILED.search(result):
        return "failed"
    return "info"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def thread_to_session(thread: dict[str, Any]) -> DemoSession:
    skip = set(thread.get("skip", []))
    turns = [
        (t["role"], clean(t["text"]))
        for i, t in enumerate(thread["turns"])
        if i not in skip and t["role"] != "bot" and not t["text"].lstrip().startswith("!")
    ]
    asker_turns = [text for role, text in turns if role == "asker"]
    problem = thread.get("problem") or _shorten(asker_turns[0] if asker_turns else thread["title"], 300)
    session = DemoSession(problem=problem, category=thread.get("category"), source_id=thread["id"])
    session.steps.append(
        DemoStep(
            f"Demo data: adapted from #ubuntu IRC thread {thread['id']} ({CREDIT}); the helpers' "
            "suggestions are the steps, the asker's replies the results."
        )
    )

    pending: list[str] = []
    last_tried: DemoStep | None = None
    seen_problem = False
    for role, text in turns:
        if role != "asker":
            pending.append(text if text[-1:] in ".!?:)" else text + ".")
            continue
        if not seen_problem:
            seen_problem = True  # the first asker line is the problem itself
            continue
        outcome = outcome_of(text)
        if pending:
            action = " ".join(pending)
            if action.endswith("?") and outcome != "fixed":
                outcome = "info"  # a question answered: facts, not a failed attempt
            last_tried = DemoStep(action, text, outcome)
            session.steps.append(last_tried)
            pending = []
        elif outcome == "fixed" and last_tried is not None:
            # "did that, works now" a little later: the verdict on the last thing tried
            last_tried.result = f"{last_tried.result} Later: {text}"
            last_tried.outcome = "fixed"
        else:
            session.steps.append(DemoStep(text))

    # The thread is resolved: the last step the asker answered is the one they thanked for,
    # unless the reply itself says it did not work.
    answered = [s for s in session.steps if s.result]
    if answered and not _NEGATED.search(answered[-1].result or ""):
        answered[-1].outcome = "fixed"
    fixed = [s for s in session.steps if s.outcome == "fixed"]
    last_words = (thread.get("resolution") or {}).get("asker_last")
    confirmed = f"The user confirmed: “{clean(last_words)}”" if last_words else "The user confirmed the fix."
    session.resolution = thread.get("fix") or (f"{fixed[-1].action} {confirmed}" if fixed else confirmed)
    return session


def load_threads(path: Path = CURATED) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]

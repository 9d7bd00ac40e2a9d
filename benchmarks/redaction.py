"""Redaction speed on 100 KB of notes, and its quality on both corpus parts.

    .venv/bin/python -m benchmarks.redaction [--repeat 20]

Speed: 100,000 characters made of the corpus lines (secrets and look-alikes interleaved), redacted
`--repeat` times after a warm-up; median and worst are printed. Quality: secret lines caught and
innocent look-alikes changed, for the tuning part (corpus.py + corpus_lines.py) and the held-out
part (corpus_heldout.py, never tuned on), each printed separately.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from tests.redaction import corpus, corpus_heldout, corpus_lines
from tests.redaction.marked import parse
from tests.redaction.scoring import Score, heldout, tuning

from relaydesk.redaction import redact


def _text(size: int) -> str:
    lines = (
        [c.text for c in corpus.SECRET_CASES]
        + [t for _, t in corpus.INNOCENT_CASES]
        + [parse(line)[0] for line in corpus_lines.SECRET_LINES + corpus_heldout.SECRET_LINES]
        + corpus_lines.INNOCENT_LINES
        + corpus_heldout.INNOCENT_LINES
    )
    # Interleave secrets and prose as a session's notes would.
    lines = lines[::2] + lines[1::2]
    text = ""
    while len(text) < size:
        text += "\n".join(lines) + "\n"
    return text[:size]


def _irc_text(size: int) -> str | None:
    """Real support chat (../shared/data, the #ubuntu IRC threads): what notes usually look like."""
    path = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ubuntu_irc_threads.jsonl"
    if not path.exists():
        return None
    turns = [t["text"] for line in path.open() for t in json.loads(line)["turns"]]
    return "\n".join(turns)[:size]


def _cpu_ms(text: str, repeat: int) -> tuple[float, float, float]:
    """CPU median and worst, wall median, in ms. CPU time is the figure: the machine is shared,
    so wall time also counts waiting for a core."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        redact(text)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return statistics.median(cpu), max(cpu), statistics.median(wall)


def _report(name: str, s: Score) -> None:
    print(
        f"{name}: secrets caught {s.caught}/{s.secret_lines} ({100 * s.caught / s.secret_lines:.1f}%), "
        f"innocents changed {len(s.changed)}/{s.innocent_lines} ({100 * s.innocent_changed_share:.1f}%)"
    )
    for line in s.missed:
        print(f"  missed: {line}")
    for line in s.changed:
        print(f"  changed: {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    text = _text(100_000)
    redact(text)  # warm-up (patterns compile at import; this warms caches)
    for name, sample in (
        ("corpus lines only (a secret word on every line, the worst case)", text),
        ("#ubuntu IRC support chat", _irc_text(100_000)),
        ("plain prose, no secret words", ("printer offline again, rebooted the spooler. " * 2300)[:100_000]),
    ):
        if sample is None:
            print(f"{name}: ../shared/data not found, skipped")
            continue
        redact(sample)
        med, worst, wall = _cpu_ms(sample, args.repeat)
        print(
            f"redact 100 KB, {name}: CPU median {med:.1f} ms, worst {worst:.1f} ms "
            f"(wall median {wall:.1f} ms, {args.repeat} runs)"
        )
    _report("tuning part", tuning())
    _report("held-out part", heldout())


if __name__ == "__main__":
    main()

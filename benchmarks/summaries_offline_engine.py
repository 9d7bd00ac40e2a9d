"""The offline engine's own time on a long session (60 failed steps, three similar sessions),
in-process, no database: what used to be a wall-clock assertion in tests/summaries/test_offline.py.

    .venv/bin/python -m benchmarks.summaries_offline_engine [--runs 200]
"""

from __future__ import annotations

import argparse
import time

from tests.summaries.test_offline import DNS, MTU_A, MTU_B, NOW, step, vpn_material

from benchmarks._support import ms, percentile
from relaydesk.summaries import offline


def main(runs: int) -> None:
    steps = [
        step(f"Step {n}: recreated the Outlook profile", "Same 0x800CCC0E error", "failed", n)
        for n in range(60)
    ]
    material = vpn_material(MTU_A, MTU_B, DNS, steps=steps)
    offline.summarize(material, now=NOW)  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        offline.summarize(material, now=NOW)
        times.append(time.perf_counter() - started)
    times.sort()
    p50, p95 = ms(percentile(times, 50)), ms(percentile(times, 95))
    print(f"offline.summarize, 60 steps, {runs} runs: p50 {p50}, p95 {p95}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    main(parser.parse_args().runs)

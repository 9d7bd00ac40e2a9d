"""A summary worker in a process of its own, for the test that kills one mid-job.

    python -m tests.summaries.worker_process <database_url> <model> <base_url> <deadline_s> <lease_margin_s>

It runs the real worker loop (NOTIFY listener included) with the given model until it is killed.
"""

from __future__ import annotations

import asyncio
import sys

from relaydesk.db.uow import Database
from relaydesk.summaries.jobs import SummaryQueue
from relaydesk.summaries.llm import LlmConfig
from relaydesk.worker import Worker
from tests.fakes.llm import TEST_API_KEY


async def main(url: str, model: str, base_url: str, deadline: float, lease_margin: float) -> None:
    db = Database(url, pool_size=2)
    config = LlmConfig(model, base_url, deadline, api_key=TEST_API_KEY)
    queue = SummaryQueue(config=config, lease_margin_seconds=lease_margin)
    await Worker(db, [queue], poll_seconds=0.2).run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])))

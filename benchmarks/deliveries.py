"""Deliveries under load: 500 escalations with email and Slack on, against local SMTP and Slack servers.

    .venv/bin/python -m benchmarks.deliveries [--escalations 500] [--seniors 3] [--workers 2]
                                             [--concurrency 8] [--rate 0] [--slack-fail-every 0]

Escalations are committed through the service (as the API does) while `--workers` separate
`relaydesk worker` processes send. Each escalation emails every senior and the owner and makes one Slack
post. Prints deliveries per second, the time from the escalation's commit to the message
arriving at the local server (p50, p95), and how many never arrived (lost) or arrived twice
(doubled); both must be 0. `--slack-fail-every N` makes every Nth Slack request a 500 or a 429
with Retry-After, to measure the same under retries. Needs the test extras (aiosmtpd).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy import text
from tests.fakes.server import LocalServer
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

from benchmarks._support import ROOT, make_team, ms, percentile, scratch_database
from relaydesk.accounts import service as accounts
from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.schemas import HandoffCreate
from relaydesk.integrations import service as integrations
from relaydesk.integrations.schemas import IntegrationCreate
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import SessionCreate, StepCreate

SECRET_KEY = "bench-secret-key"
PUBLIC_URL = "http://relaydesk.bench"
LINK = re.compile(r"/sessions/([0-9a-f-]{36})/pickup")


class Tally:
    """Counts arrivals across the fakes; `done` is set when `target` have arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.target = 0
        self.done = threading.Event()

    def add(self) -> None:
        with self.lock:
            self.count += 1
            if self.target and self.count >= self.target:
                self.done.set()


class Arrivals(list[Any]):
    """A fake's message list, with the arrival time of each message."""

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.times: list[float] = []
        self.tally = tally

    def append(self, item: Any) -> None:
        with self.tally.lock:
            self.times.append(time.time())
            super().append(item)
        self.tally.add()


class FlakySlack(FakeSlack):
    """Every Nth request fails, alternating 500 and 429 with Retry-After: 1."""

    def __init__(self, fail_every: int) -> None:
        self.fail_every = fail_every
        self.count = 0
        super().__init__()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.fail_every:
            self.count += 1
            if self.count % self.fail_every == 0:
                if (self.count // self.fail_every) % 2:
                    self.fail_next(1, status=500, body="rollup_error")
                else:
                    self.fail_next(1, status=429, body="rate_limited", retry_after="1")
        await super().__call__(scope, receive, send)


Key = tuple[str, str, str]  # (session id, channel, recipient)


def _serve_fakes(conn: Connection, fail_every: int) -> None:
    """The local SMTP and Slack servers, in a process of their own so that the escalating
    process's work does not slow their answers. Commands come over `conn`."""
    tally = Tally()
    smtp = FakeSmtp(users={})
    smtp.start()
    smtp.messages = Arrivals(tally)  # type: ignore[assignment]
    slack_app = FlakySlack(fail_every)
    slack_app.messages = Arrivals(tally)
    slack = LocalServer(slack_app)
    slack.start()
    conn.send((smtp.url(), slack_app.hook_url(slack.url)))
    mails: Arrivals = smtp.messages  # type: ignore[assignment]
    posts: Arrivals = slack_app.messages  # type: ignore[assignment]
    while True:
        command, argument = conn.recv()
        if command == "wait":  # until `argument` messages have arrived, or 180 s
            with tally.lock:
                tally.target = argument
                if tally.count >= argument:
                    tally.done.set()
            conn.send(tally.done.wait(180))
        elif command == "reset":
            with tally.lock:
                for arrived in (mails, posts):
                    arrived.clear()
                    arrived.times.clear()
                tally.count, tally.target = 0, 0
                tally.done.clear()
            conn.send(True)
        elif command == "collect":
            arrivals: list[tuple[Key, float]] = []
            for mail, at in zip(list(mails), mails.times, strict=True):
                found = LINK.search(mail.message.get_body(("plain",)).get_content())
                arrivals += [
                    ((found.group(1) if found else "?", "email", rcpt), at) for rcpt in mail.rcpt_tos
                ]
            for message, at in zip(list(posts), posts.times, strict=True):
                found = LINK.search(message["blocks"][-1]["elements"][0]["url"])
                arrivals.append(((found.group(1) if found else "?", "slack", "#escalations"), at))
            conn.send(arrivals)
        else:
            slack.stop()
            smtp.stop()
            conn.send(True)
            return


class Fakes:
    """The parent's handle on the fakes' process."""

    def __init__(self, fail_every: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve_fakes, args=(child, fail_every), daemon=True)
        self.process.start()
        self.smtp_url, self.slack_url = self.conn.recv()

    async def ask(self, command: str, argument: Any = None) -> Any:
        def roundtrip() -> Any:
            self.conn.send((command, argument))
            return self.conn.recv()

        return await asyncio.to_thread(roundtrip)


async def _setup(
    db: Database, seniors: int, slack_url: str, escalations: int
) -> tuple[Actor, list[str], list[Any]]:
    async with db.uow() as uow:
        team = await make_team(uow, "Bench MSP", seniors)
        account, junior = team.account, team.junior
        emails = [senior.email for senior in team.seniors]
        owner = await accounts.add_user(
            uow, account.id, email="owner@bench.test", name="Owner", role="owner", password=None
        )
        # The owner gets escalation emails too: on by default for every working role.
        emails.append(owner.email)
        admin = accounts.actor_for(owner, via="token")
        await uow.set_account(account.id)
        await integrations.create_integration(
            uow,
            admin,
            IntegrationCreate(kind="slack", name="#escalations", settings={"url": slack_url}),
            secret_key=SECRET_KEY,
        )
        actor = accounts.actor_for(junior, via="token")
        sessions_made = []
        for n in range(escalations):
            session = await sessions.create_session(
                uow,
                actor,
                SessionCreate(
                    problem_summary=f"#{n}: Outlook is failing to sync after the move to modern auth",
                    client_name="Acme Dental",
                    ticket_id=str(48000 + n),
                    priority="high",
                ),
            )
            for step in range(3):
                await sessions.add_step(
                    uow,
                    actor,
                    session.id,
                    StepCreate(
                        action=f"Step {step}: rebuilt the profile", result="Same error", outcome="failed"
                    ),
                )
            sessions_made.append(session)
    return actor, emails, sessions_made


@contextlib.contextmanager
def workers(count: int, database_url: str, smtp_url: str) -> Iterator[None]:
    env = {
        **os.environ,
        "RELAYDESK_DATABASE_URL": database_url,
        "RELAYDESK_SMTP_URL": smtp_url,
        "RELAYDESK_SECRET_KEY": SECRET_KEY,
        "RELAYDESK_PUBLIC_URL": PUBLIC_URL,
        "RELAYDESK_WORKER_POLL_SECONDS": "1",
        "RELAYDESK_DELIVERY_BACKOFF_SECONDS": "1",
    }
    log = open(os.environ.get("RELAYDESK_BENCH_LOG", os.devnull), "w")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "relaydesk.cli", "worker"], env=env, stdout=log, stderr=log, cwd=ROOT
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        log.close()


async def main(args: argparse.Namespace) -> None:
    url = scratch_database("deliveries")
    fakes = Fakes(args.slack_fail_every)
    db = Database(url, pool_size=args.concurrency + 2)
    actor, emails, made = await _setup(db, args.seniors, fakes.slack_url, args.escalations + 1)
    warm_up, made = made[0], made[1:]
    expected = {(str(s.id), "email", address) for s in made for address in emails}
    expected |= {(str(s.id), "slack", "#escalations") for s in made}

    committed: dict[str, float] = {}
    with workers(args.workers, url, fakes.smtp_url):
        # One escalation first, not counted: the clock starts once the workers are up and sending.
        async with db.uow(actor.account_id) as uow:
            await handoffs.create_handoff(
                uow, actor, warm_up.id, HandoffCreate(intent="escalate", reason="Warm-up")
            )
        if not await fakes.ask("wait", len(emails) + 1):
            raise SystemExit("the workers did not deliver the warm-up escalation")
        await fakes.ask("reset")
        pending = list(made)

        async def escalator() -> None:
            while pending:
                session = pending.pop()
                if args.rate:
                    # Paced: escalation n commits no earlier than n / rate seconds in.
                    n = len(made) - len(pending) - 1
                    await asyncio.sleep(max(0.0, started + n / args.rate - time.time()))
                async with db.uow(actor.account_id) as uow:
                    await handoffs.create_handoff(
                        uow, actor, session.id, HandoffCreate(intent="escalate", reason="Out of ideas")
                    )
                committed[str(session.id)] = time.time()

        started = time.time()
        await asyncio.gather(*(escalator() for _ in range(args.concurrency)))
        escalated = time.time()
        await fakes.ask("wait", len(expected))
        await asyncio.sleep(3)  # anything that would arrive twice has its chance to
    arrivals: list[tuple[Key, float]] = await fakes.ask("collect")
    await fakes.ask("stop")

    seen = Counter(key for key, _ in arrivals)
    first: dict[tuple[str, str, str], float] = {}
    for key, at in arrivals:
        first.setdefault(key, at)
    lost = len(expected - set(seen))
    doubled = sum(count - 1 for count in seen.values())
    unexpected = len(set(seen) - expected)
    latency = {
        channel: [first[k] - committed[k[0]] for k in first if k[1] == channel]
        for channel in ("email", "slack")
    }
    every = latency["email"] + latency["slack"]
    last = max(first.values()) if first else started
    async with db.uow(actor.account_id) as uow:
        states = dict(await uow.rows(text("SELECT status, count(*) FROM deliveries GROUP BY status")))
    await db.dispose()

    print(
        f"{args.escalations} escalations x ({len(emails)} emails + 1 Slack post) = "
        f"{len(expected)} deliveries, "
        f"{args.workers} worker process(es), escalating with {args.concurrency} concurrent callers"
        + (f" at {args.rate:g}/s" if args.rate else " as fast as they can")
        + (f", every {args.slack_fail_every}th Slack request failing" if args.slack_fail_every else "")
    )
    took = escalated - started
    print(f"escalations committed in {took:.1f} s ({args.escalations / took:.0f}/s)")
    print(
        f"delivered {len(first)} in {last - started:.1f} s from the first commit: "
        f"{len(first) / max(last - started, 1e-9):.0f} deliveries/s"
    )
    for name, values in (("email", latency["email"]), ("slack", latency["slack"]), ("all", every)):
        print(
            f"commit → delivered, {name:<5}: p50 {ms(percentile(values, 50))}, "
            f"p95 {ms(percentile(values, 95))}, max {ms(max(values) if values else float('nan'))}"
        )
    print(f"lost {lost} (must be 0), doubled {doubled} (must be 0), unexpected {unexpected}")
    print(f"delivery rows by status: {states}")
    if lost or doubled or unexpected:
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--escalations", type=int, default=500)
    parser.add_argument("--seniors", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--slack-fail-every", type=int, default=0)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="Escalations per second; 0: as fast as possible."
    )
    parser.add_argument("--timeout", type=float, default=180.0)
    asyncio.run(main(parser.parse_args()))

"""Similar-session search: top 5 over 100,000 resolved sessions of one account.

    .venv/bin/python -m benchmarks.summaries_similar_search [--sessions 100000] [--queries 300]

History: generated MSP sessions (a product, a symptom, an error code, a host, 2-3 steps with results,
a resolution), written straight into PostgreSQL as an import would, then indexed in one pass by
`relaydesk_reindex_account` (migration 0007; the same terms its per-session trigger makes).
Then VACUUM ANALYZE (as autovacuum would), and the clock runs around `similar.rank` (one
statement through the app's unit of work, under row-level security) for new problems worded afresh,
warm cache. Prints the p50/p95/max and the size of the postings.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid

import psycopg

from benchmarks._support import make_team, ms, percentile, scratch_database
from relaydesk.db.uow import Database
from relaydesk.summaries.similar import rank

PRODUCTS = (
    "Outlook,Teams,SharePoint,OneDrive,Excel,Word,VPN,FortiClient,printer,scanner,Wi-Fi,laptop dock,"
    "QuickBooks,Sage,Adobe Acrobat,Chrome,Edge,Zoom,Windows Update,BitLocker,Intune,Azure AD,MFA,"
    "file share,mapped drive,RDP,Citrix,backup agent,antivirus,firewall,DNS,DHCP,NAS,phone system"
).split(",")
SYMPTOMS = (
    "stopped syncing,keeps asking for the password,will not open,crashes on start,is very slow,"
    "shows an error,drops every few minutes,cannot connect,prints blank pages,freezes after login,"
    "will not install the update,says the licence expired,loses the connection overnight,"
    "shows access denied,opens a blank window,fails to sign in"
).split(",")
CAUSES = (
    "a stale cached credential,a corrupt profile,an expired certificate,a full disk,a wrong DNS server,"
    "an old driver,a conflicting add-in,a blocked port,a duplicate IP address,a disabled service,"
    "a broken group policy,an outdated client version,a missing licence,a locked account"
).split(",")
FIXES = (
    "Cleared the cached credentials in Credential Manager,Rebuilt the user profile,Renewed the certificate,"
    "Freed disk space and moved the temp folder,Pointed the adapter at the right DNS server,"
    "Reinstalled the latest driver from the vendor,Disabled the conflicting add-in,"
    "Opened the port on the firewall,Reserved a fixed IP address in DHCP,Re-enabled the service,"
    "Fixed the group policy and ran gpupdate,Updated the client to the current version,"
    "Assigned the missing licence,Unlocked the account and reset the password"
).split(",")
TRIED = (
    "Restarted the app,Rebooted the PC,Signed out and back in,Checked the service status page,"
    "Ran the vendor's repair tool,Cleared the browser cache,Tested on another machine,Checked the event log"
).split(",")
WORDS = "alpha bravo delta echo foxtrot harbor summit cedar maple lake river stone".split()


def _session(rnd: random.Random) -> tuple[str, str, list[tuple[str, str, str]]]:
    product, symptom = rnd.choice(PRODUCTS), rnd.choice(SYMPTOMS)
    code = f"0x{rnd.randrange(16**8):08X}" if rnd.random() < 0.5 else f"error {rnd.randrange(100, 99999)}"
    host = f"WS-{rnd.choice(WORDS).upper()[:3]}-{rnd.randrange(1, 99):02d}"
    problem = f"{product} {symptom} on {host} for the {rnd.choice(WORDS)} team; {code}"
    fix = rnd.randrange(len(FIXES))
    steps = [
        (t, rnd.choice(["Same error", "No change", f"Still {code}", "Worked for a minute"]), "failed")
        for t in rnd.sample(TRIED, rnd.randrange(1, 3))
    ]
    steps.append((FIXES[fix], "Working again, user confirmed", "fixed"))
    resolution = f"{FIXES[fix]}. The cause was {CAUSES[fix % len(CAUSES)]}."
    return problem, resolution, steps


async def main(count: int, queries: int) -> None:
    url = scratch_database("similar_search")
    db = Database(url, pool_size=2)
    async with db.uow() as uow:
        team = await make_team(uow, "Search MSP", seniors=0)
    account, author = team.account.id, team.junior.id
    rnd = random.Random(13)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=False) as conn:
        # Bulk load as an import would: triggers off while rows go in, then one set-based rebuild of the
        # account's postings (relaydesk_reindex_account, the same terms the per-session trigger makes).
        conn.execute("SET session_replication_role = replica")
        batch = 5000
        for start in range(0, count, batch):
            sessions, steps, ids = [], [], []
            for _ in range(min(batch, count - start)):
                sid = uuid.uuid4()
                problem, resolution, its = _session(rnd)
                ids.append((sid, resolution))
                sessions.append((sid, account, author, problem, rnd.choice(["Email", "Network", "Hardware"])))
                for n, (action, result, outcome) in enumerate(its):
                    steps.append((uuid.uuid4(), account, sid, author, action, result, outcome, n))
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO sessions (id, account_id, owner_id, problem_summary, category, status, priority)"  # noqa: E501
                    " VALUES (%s, %s, %s, %s, %s, 'active', 'normal')",
                    sessions,
                )
                cur.executemany(
                    "INSERT INTO steps (id, account_id, session_id, author_id, action, result, outcome, created_at)"  # noqa: E501
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, now() + make_interval(secs => %s))",
                    steps,
                )
                cur.executemany(
                    "UPDATE sessions SET status = 'resolved', resolution = %s, resolved_at = now() WHERE id = %s",  # noqa: E501
                    [(res, sid) for sid, res in ids],
                )
            conn.commit()
        conn.execute("SET session_replication_role = origin")
        conn.execute("SELECT relaydesk_reindex_account(%s)", (account,))
        conn.commit()
        loaded = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE search_postings")
        conn.execute("VACUUM ANALYZE search_terms")
        conn.execute("VACUUM ANALYZE search_corpus")
        (postings,) = conn.execute("SELECT count(*) FROM search_postings").fetchone()  # type: ignore[misc]
        (size,) = conn.execute(  # type: ignore[misc]
            "SELECT pg_size_pretty(pg_total_relation_size('search_postings'))"
        ).fetchone()

    times = []
    async with db.uow(account) as uow:
        for n in range(queries + 20):
            problem, _, its = _session(rnd)
            context = " ".join(f"{a} {r}" for a, r, _ in its[:-1])
            began = time.perf_counter()
            found = await rank(uow, account, problem=problem, context=context, limit=5)
            if n >= 20:  # the first ones warm the cache and the plan
                times.append(time.perf_counter() - began)
            assert len(found) == 5
    await db.dispose()
    print(
        f"resolved sessions in the account: {count} (loaded, then indexed by relaydesk_reindex_account, in {loaded:.0f} s)"  # noqa: E501
    )
    print(f"postings: {postings} rows, {size} with indexes")
    print(
        f"top 5 similar sessions, {queries} queries: p50 {ms(percentile(times, 50))}, "
        f"p95 {ms(percentile(times, 95))}, max {ms(max(times))}   target p95 ≤ 30 ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.queries))

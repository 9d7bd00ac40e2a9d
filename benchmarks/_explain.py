import asyncio, time, psycopg
from relaydesk.summaries import similar
from benchmarks._support import server_url
from relaydesk.db.urls import with_database, libpq_url
url = libpq_url(with_database(server_url(), "relaydesk_bench_similar_search"))
with psycopg.connect(url) as c:
    acct = c.execute("select account_id from sessions limit 1").fetchone()[0]
    sql = str(similar._RANK_SQL.text)
    import re
    params = dict(account=acct, problem="Outlook keeps asking for the password on WS-ALP-04 for the cedar team; 0x800CCC0E", steps="Restarted the app Same error Rebooted the PC No change", notes="", exclude=None, limit=5, k1=1.2, b=0.75, budget=30000, max_terms=48, near_weight=0.8, near_similarity=0.5, prefixes=False)
    q = re.sub(r"(?<!:):(\w+)", lambda m: f"%({m.group(1)})s", sql.replace("%", "%%").replace("'%%'", "'%%'"))
    c.execute("SET jit = off")
    from relaydesk.db.uow import ACCOUNT_SETTING, APP_ROLE
    c.execute(f"SET ROLE {APP_ROLE}")
    c.execute("SELECT set_config(%s, %s, false)", (ACCOUNT_SETTING, str(acct)))
    for pref in (False,):
        params["prefixes"] = pref
        for _ in range(4):
            t = time.perf_counter(); c.execute(q, params).fetchall(); print(pref, round((time.perf_counter() - t)*1000,1))
    for row in c.execute("EXPLAIN (ANALYZE) " + q, params).fetchall():
        print(row[0])

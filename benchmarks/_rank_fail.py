import asyncio, json, uuid
import psycopg
from benchmarks._support import ROOT, server_url
from relaydesk.db.uow import Database
from relaydesk.db.urls import with_database, libpq_url
from relaydesk.summaries import similar
from relaydesk.summaries.material import session_material, steps_text
from relaydesk.sessions.models import Session
from sqlalchemy import select

async def main():
    url = with_database(server_url(), "relaydesk_bench_summaries_quality")
    pairs = json.loads((ROOT / ".relaydesk-test" / "quality_pairs.json").read_text())
    db = Database(url, pool_size=2)
    with psycopg.connect(libpq_url(url)) as c:
        acct = c.execute("select account_id from sessions limit 1").fetchone()[0]
        n = 0
        async with db.uow(acct) as uow:
            for esc, (twin, tune) in pairs.items():
                s = await uow.scalar(select(Session).where(Session.id == uuid.UUID(esc)))
                m = await session_material(uow, s, search=False)
                cands = await similar.rank(uow, acct, problem=m.problem, context=steps_text(m.steps), exclude_session_id=s.id)
                ids = [str(x.id) for x in cands]
                if twin in ids[:3]: continue
                n += 1
                if n > 6: break
                t = c.execute("select problem_summary, resolution, (select string_agg(action||' => '||coalesce(result,''), ' | ') from steps where session_id=s.id) from sessions s where id=%s", (twin,)).fetchone()
                print("ESC:", m.problem[:200], "||", steps_text(m.steps)[:400])
                print("TWIN:", t[0][:150], "|| RES:", t[1][:150], "|| STEPS:", (t[2] or '')[:300])
                print("TOP:", [(round(x.score,2), x.problem[:60]) for x in cands[:3]])
                print()
    await db.dispose()
asyncio.run(main())

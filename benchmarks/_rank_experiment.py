import asyncio, json, sys, uuid
from benchmarks._support import ROOT, server_url
from relaydesk.db.uow import Database
from relaydesk.db.urls import with_database
from relaydesk.summaries import similar
from relaydesk.summaries.material import session_material, steps_text
from relaydesk.sessions.models import Session
from sqlalchemy import select

async def main():
    url = with_database(server_url(), "relaydesk_bench_summaries_quality")
    pairs = json.loads((ROOT / ".relaydesk-test" / "quality_pairs.json").read_text())
    db = Database(url, pool_size=2)
    import psycopg
    from relaydesk.db.urls import libpq_url
    with psycopg.connect(libpq_url(url)) as c:
        acct = c.execute("select account_id from sessions limit 1").fetchone()[0]
    mats = {}
    async with db.uow(acct) as uow:
        for esc in pairs:
            s = await uow.scalar(select(Session).where(Session.id == uuid.UUID(esc)))
            mats[esc] = await session_material(uow, s, search=False)
    for k1, b, nw, ex, ns in [(1.2,0.75,0.5,False,0.5),(1.2,0.75,0.8,True,0.5),(1.2,0.75,0.5,True,0.4),(1.2,0.75,0.8,True,0.35)]:
        similar.NEAR_WEIGHT, similar.EXACT, similar.NEAR_SIMILARITY = nw, ex, ns; pw=1; budget=nw
        similar.K1, similar.B = k1, b
        hits = {True: [0,0], False: [0,0]}
        async with db.uow(acct) as uow:
            for esc, (twin, tune) in pairs.items():
                m = mats[esc]
                steps = steps_text(m.steps)
                problem = m.problem if pw == 1 else (m.problem + " ") * int(pw) if pw >= 1 else m.problem
                if pw < 1:
                    steps = steps + " " + steps
                c = await similar.rank(uow, acct, problem=problem, context=steps, exclude_session_id=uuid.UUID(esc))
                hits[tune][0] += twin in [str(x.id) for x in c[:3]]
                hits[tune][1] += 1
        print(k1, b, pw, budget, hits)
    await db.dispose()
asyncio.run(main())

import asyncio
from benchmarks._support import scratch_database
from benchmarks.summaries_offline import team
from relaydesk.db.uow import Database
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn, SessionCreate, StepCreate
from relaydesk.summaries.similar import rank, find_similar

async def main():
    url = scratch_database("assess_try")
    db = Database(url, pool_size=2)
    j, s, _ = await team(db, "T")
    for prob, steps, res in [
        ("Outlook keeps asking for password after change", [("Cleared credential manager","still prompts","failed")], "Rebuilt the Outlook profile; user confirmed."),
        ("Printer at 192.168.1.20 prints blank pages", [("Replaced toner","blank","failed")], "Reinstalled the HP driver on WS-ACC-04."),
        ("SharePoint site shows access denied for Megan", [], "Re-added Megan to the site members group."),
    ]:
        async with db.uow(j.account_id) as uow:
            se = await sessions.create_session(uow, j, SessionCreate(problem_summary=prob, client_name="Contoso"))
            for a, r, o in steps:
                await sessions.add_step(uow, j, se.id, StepCreate(action=a, result=r, outcome=o))
            await sessions.resolve_session(uow, j, se.id, ResolveIn(resolution=res))
    async with db.uow(j.account_id) as uow:
        print(await rank(uow, j.account_id, problem="outlok prompts for the password again", context="EnableADAL=0"))
        print(await find_similar(uow, j.account_id, problem="printer blank pages"))
    await db.dispose()
asyncio.run(main())

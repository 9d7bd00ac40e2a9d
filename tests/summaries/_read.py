from datetime import UTC, datetime
from relaydesk.summaries import offline, writeups
from tests.summaries.realistic import ALL, PRINTER_RESOLVED
for name, m in ALL.items():
    s = offline.summarize(m, now=datetime.now(UTC))
    print("=====", name, "| cause:", s.likely_cause, "|", s.confidence)
    print(s.summary_prose)
    case = writeups.Audience(problem=m.problem, client=m.client, ticket=m.ticket, steps_tried=2, partly_helped=any(x.outcome=="partial" for x in m.steps), resolved=False, contact_name=m.contact_name, category=m.category)
    print("--- client"); print(writeups.client_message(case))
    print("--- email"); print(writeups.email_draft(case))
m = PRINTER_RESOLVED
print("===== RESOLVED"); print(writeups.resolved_note(m, "Removed the shipping seal from the new toner cartridge; printing normally.", resolved_by="Sam Senior"))
case = writeups.Audience(problem=m.problem, client=m.client, ticket=m.ticket, steps_tried=3, partly_helped=False, resolved=True, contact_name=m.contact_name, category=m.category, resolution="Removed the shipping seal from the new toner cartridge; printing normally.")
print("--- client"); print(writeups.client_message(case)); print("--- email"); print(writeups.email_draft(case))

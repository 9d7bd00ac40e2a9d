from datetime import UTC, datetime
from relaydesk.summaries import offline, writeups
from tests.summaries.realistic import OUTLOOK, PRINTER_RESOLVED, VPN_ACTIVE
s = offline.summarize(OUTLOOK, now=datetime.now(UTC))
print(repr(s.summary_prose))
c = writeups.Audience(problem=OUTLOOK.problem, client="Contoso", ticket="48213", steps_tried=2, partly_helped=True, resolved=False, contact_name="Megan Lee", category="Email")
print(repr(writeups.client_message(c))); print(repr(writeups.email_draft(c)))
v = writeups.Audience(problem=VPN_ACTIVE.problem, client="Fabrikam Clinic", ticket=None, steps_tried=0, partly_helped=False, resolved=False, claimed=True)
print(repr(writeups.client_message(v)))
print(repr(writeups.resolved_note(PRINTER_RESOLVED, "Removed the shipping seal from the new toner cartridge; printing normally.", resolved_by="Sam Senior")))
r = writeups.Audience(problem=PRINTER_RESOLVED.problem, client="Harbor Dental", ticket="47790", steps_tried=3, partly_helped=False, resolved=True, contact_name="Ana Souza", resolution="Removed the shipping seal from the new toner cartridge; printing normally.")
print(repr(writeups.client_message(r))); print(repr(writeups.email_draft(r)))

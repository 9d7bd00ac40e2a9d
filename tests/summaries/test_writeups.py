"""Golden write-ups: the ticket note, client update and email draft of realistic sessions, escalated,
taken over and resolved, exactly as they would be sent. Read them before changing them."""

from __future__ import annotations

from datetime import UTC, datetime

from relaydesk.summaries import offline, writeups
from tests.summaries.realistic import OUTLOOK, PRINTER_RESOLVED, VPN_ACTIVE

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PRINTER_FIX = "Removed the shipping seal from the new toner cartridge; printing normally."

OUTLOOK_NOTE = "Contoso, ticket #48213: Outlook on Megan's laptop (Contoso front office) stopped syncing after this morning's password change; send/receive fails with 0x800CCC0E and it keeps asking for the password.\n\nSteps by Jamie Junior: restarted Outlook and the laptop, which did not help (same password prompt, then 0x800CCC0E); removed the old MicrosoftOffice16 entries from Windows Credential Manager, which partly helped (Outlook took the new password once; synced for about two minutes, then the prompt came back); ran SaRA's Outlook sign-in diagnostics: SaRA reports 'Modern authentication is disabled' in the registry (EnableADAL=0).\n\nEscalated because: Credential Manager cleanup only helped for two minutes; out of ideas.\n\nThe steps point at what step 3 found: SaRA reports 'Modern authentication is disabled' in the registry (EnableADAL=0)."  # noqa: E501
OUTLOOK_CLIENT = "Hi Megan,\n\nThanks for your patience while we work on the problem with Outlook. So far we have tried 2 fixes, and one of them helped for a while, so we are on the right track.\n\nWe have passed it to a senior engineer on our team, who will pick it up next. We will let you know as soon as we have an update, and sooner if we need anything from you."  # noqa: E501
OUTLOOK_EMAIL = "Subject: Update on the problem with Outlook (ticket #48213)\n\nHi Megan,\n\nThanks for your patience while we work on the problem with Outlook. So far we have tried 2 fixes, and one of them helped for a while, so we are on the right track.\n\nWe have passed it to a senior engineer on our team, who will pick it up next. We will let you know as soon as we have an update, and sooner if we need anything from you.\n\nKind regards,\nYour IT support team"  # noqa: E501
VPN_CLAIMED_CLIENT = "Hello,\n\nThanks for your patience while we work on the problem with the VPN connection. We have started looking into it.\n\nA senior engineer has now taken it over and is working on it. We will let you know as soon as we have an update, and sooner if we need anything from you."  # noqa: E501
PRINTER_NOTE = "Harbor Dental, ticket #47790: Reception printer prints blank pages since the toner was replaced.\n\nSteps by Jamie Junior: printed a test page from the printer's own menu, which did not help (also blank); reseated the toner cartridge, which did not help (still blank).\n\nResolved by Sam Senior: Removed the shipping seal from the new toner cartridge; printing normally. The step that fixed it (Sam Senior): removed the orange shipping seal from the new toner cartridge (test page prints normally; reception confirmed)."  # noqa: E501
PRINTER_CLIENT = "Hi Ana,\n\nGood news: the problem with the printer is fixed. We found the cause and put it right: we removed the shipping seal from the new toner cartridge.\n\nThere is nothing you need to do. If you notice it again, just reply to this message and we will pick it straight back up."  # noqa: E501
PRINTER_EMAIL = "Subject: Fixed: the problem with the printer (ticket #47790)\n\nHi Ana,\n\nGood news: the problem with the printer is fixed. We found the cause and put it right: we removed the shipping seal from the new toner cartridge.\n\nThere is nothing you need to do. If you notice it again, just reply to this message and we will pick it straight back up.\n\nKind regards,\nYour IT support team"  # noqa: E501


def test_escalated_outlook_session_with_a_lead_from_its_last_step() -> None:
    case = writeups.ClientCase(
        problem=OUTLOOK.problem, client="Contoso", ticket="48213", steps_tried=2, partly_helped=True,
        resolved=False, contact_name="Megan Lee", category="Email",
    )  # fmt: skip
    assert offline.summarize(OUTLOOK, now=NOW).ticket_note == OUTLOOK_NOTE
    assert writeups.client_message(case) == OUTLOOK_CLIENT
    assert writeups.email_draft(case) == OUTLOOK_EMAIL


def test_active_session_taken_over_by_a_senior() -> None:
    case = writeups.ClientCase(
        problem=VPN_ACTIVE.problem, client="Fabrikam Clinic", ticket=None, steps_tried=0, partly_helped=False,
        resolved=False, claimed=True,
    )  # fmt: skip
    assert writeups.client_message(case) == VPN_CLAIMED_CLIENT


def test_resolved_printer_session_names_the_fix_and_who_did_what() -> None:
    case = writeups.ClientCase(
        problem=PRINTER_RESOLVED.problem, client="Harbor Dental", ticket="47790", steps_tried=3,
        partly_helped=False, resolved=True, contact_name="Ana Souza", resolution=PRINTER_FIX,
    )  # fmt: skip
    note = writeups.resolved_note(PRINTER_RESOLVED, PRINTER_FIX, resolved_by="Sam Senior")
    assert note == PRINTER_NOTE
    assert "not yet known" not in note and "not known yet" not in note
    assert writeups.client_message(case) == PRINTER_CLIENT
    assert writeups.email_draft(case) == PRINTER_EMAIL


def test_client_texts_hold_no_jargon_quotes_or_ellipses() -> None:
    for text in (OUTLOOK_CLIENT, OUTLOOK_EMAIL, VPN_CLAIMED_CLIENT, PRINTER_CLIENT, PRINTER_EMAIL):
        for bad in ("0x", "EnableADAL", "SaRA", "Credential Manager", "…", "'", "\u201c", "escalat"):
            assert bad not in text, (bad, text)

"""Realistic MSP sessions as engine material, for the write-up goldens and for reading the output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from relaydesk.summaries.schemas import StepMaterial, SummaryMaterial

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _steps(rows: list[tuple[str, str | None, str, str]]) -> list[StepMaterial]:
    return [
        StepMaterial(
            id=UUID(int=n + 1),
            action=a,
            result=r,
            outcome=o,
            author=who,
            at=T0 + timedelta(minutes=7 * n),  # type: ignore[arg-type]
        )
        for n, (a, r, o, who) in enumerate(rows)
    ]


OUTLOOK = SummaryMaterial(
    problem="Outlook on Megan's laptop (Contoso front office) stopped syncing after this morning's password "
    "change; send/receive fails with 0x800CCC0E and it keeps asking for the password.",
    category="Email",
    client="Contoso",
    contact_name="Megan Lee",
    ticket="48213",
    reason="Credential Manager cleanup only helped for two minutes; out of ideas.",
    steps=_steps(
        [
            (
                "Restarted Outlook and the laptop",
                "Same password prompt, then 0x800CCC0E",
                "failed",
                "Jamie Junior",
            ),
            (
                "Removed the old MicrosoftOffice16 entries from Windows Credential Manager",
                "Outlook took the new password once; synced for about two minutes, then the prompt came back",
                "partial",
                "Jamie Junior",
            ),
            (
                "Ran SaRA's Outlook sign-in diagnostics",
                "SaRA reports 'Modern authentication is disabled' in the registry (EnableADAL=0)",
                "info",
                "Jamie Junior",
            ),
        ]
    ),
)

SHAREPOINT = SummaryMaterial(
    problem="SharePoint site 'Finance' shows access denied for the accounts team since Monday",
    category="Microsoft 365",
    client="Northwind Freight",
    contact_name="Tom Becker",
    ticket="51007",
    steps=_steps(
        [
            (
                "Checked the site permissions page",
                "Accounts group is still listed with Edit",
                "info",
                "Jamie Junior",
            ),
            ("Asked Tom to sign out and back in", "Still access denied", "failed", "Jamie Junior"),
        ]
    ),
)

PRINTER_RESOLVED = SummaryMaterial(
    problem="Reception printer prints blank pages since the toner was replaced",
    category="Hardware",
    client="Harbor Dental",
    contact_name="Ana Souza",
    ticket="47790",
    steps=_steps(
        [
            ("Printed a test page from the printer's own menu", "Also blank", "failed", "Jamie Junior"),
            ("Reseated the toner cartridge", "Still blank", "failed", "Jamie Junior"),
            (
                "Removed the orange shipping seal from the new toner cartridge",
                "Test page prints normally; reception confirmed",
                "fixed",
                "Sam Senior",
            ),
        ]
    ),
)

VPN_ACTIVE = SummaryMaterial(
    problem="VPN drops every 5 minutes for the finance team working from home",
    category="Network",
    client="Fabrikam Clinic",
    ticket="50112",
    steps=_steps(
        [
            (
                "Reinstalled the FortiClient VPN client",
                "Still drops after 5 minutes",
                "failed",
                "Jamie Junior",
            ),
            (
                "Took a packet capture during a drop",
                "Fragmented ESP packets just before each drop",
                "partial",
                "Jamie Junior",
            ),
        ]
    ),
)

ALL = {"outlook": OUTLOOK, "sharepoint": SHAREPOINT, "printer": PRINTER_RESOLVED, "vpn": VPN_ACTIVE}

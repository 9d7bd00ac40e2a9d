"""Nothing that identifies another session's people, client or machines reaches a chip or a client."""

from __future__ import annotations

import uuid

from relaydesk.summaries.chips import chips_from
from relaydesk.summaries.identifiers import found_identifiers, generalise
from relaydesk.summaries.similar import Candidate, judge


def test_identifiers_are_generalised_and_codes_kept() -> None:
    assert generalise("Set the printer IP to 192.168.1.20 and re-added it") == (
        "Set the printer's IP address and re-added it"
    )
    assert (
        generalise("Reinstalled the HP driver on WS-ACC-04.") == "Reinstalled the HP driver on the machine."
    )
    assert (
        generalise("Mailed jsmith@contoso.com about ticket #48213") == "Mailed the user's email address about"
    )
    assert generalise("Re-added Megan to the Finance site for Contoso", ["Contoso"], ["Megan Lee"]) == (
        "Re-added the user to the Finance site for the client"
    )
    kept = "Error 0x800CCC0E after KB5034441, event id 4625, EnableADAL=0"
    assert generalise(kept) == kept and found_identifiers(kept) == []


def test_chips_from_another_clients_session_carry_none_of_its_identifiers() -> None:
    other = Candidate(
        id=uuid.uuid4(),
        score=0.5,
        problem="Megan's printer at 192.168.1.20 prints blank pages (Harbor Dental)",
        resolution="Set the printer IP to 192.168.1.20 on WS-ACC-04 and emailed megan@harbor.example.",
        fixing_steps=["Re-added the printer on WS-ACC-04 by IP 192.168.1.20 for Megan"],
        clients=("Harbor Dental",),
        people=("Megan Lee",),
    )
    (match,) = judge([other])
    made = chips_from([match], [], 6)

    assert made
    for text in [*made, match.problem, match.resolution]:
        assert found_identifiers(text, ["Harbor Dental", "Megan Lee"]) == [], text
        assert "192.168" not in text and "WS-ACC" not in text and "Megan" not in text

"""The offline engine on its own: grounded, deterministic, honest about having no basis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from relaydesk.summaries import chips, offline
from relaydesk.summaries.schemas import (
    MAX_FACTS,
    MatchStrength,
    SimilarSession,
    StepMaterial,
    SummaryMaterial,
)
from tests.summaries.realistic import OUTLOOK, SHAREPOINT

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def step(action: str, result: str | None = None, outcome: str = "failed", minutes: int = 0) -> StepMaterial:
    return StepMaterial(
        id=uuid4(),
        action=action,
        result=result,
        outcome=outcome,  # type: ignore[arg-type]
        author="Ann",
        at=NOW - timedelta(hours=1) + timedelta(minutes=minutes),
    )


def similar(problem: str, resolution: str, strength: MatchStrength, score: float = 0.4) -> SimilarSession:
    return SimilarSession(id=uuid4(), problem=problem, resolution=resolution, score=score, strength=strength)


def vpn_material(*similars: SimilarSession, steps: list[StepMaterial] | None = None) -> SummaryMaterial:
    return SummaryMaterial(
        problem="VPN drops every 5 minutes for the finance team",
        client="Acme Dental",
        ticket="T-4711",
        reason="Out of ideas after reinstalling the client",
        steps=steps
        if steps is not None
        else [
            step("Reinstalled the FortiClient VPN client", "Still drops after 5 minutes", "failed", 0),
            step("Took a packet capture during a drop", "Fragmented ESP packets", "partial", 10),
            step("Asked about the home router", None, "info", 20),
            step("Checked the VPN server log", "Peer timeout at each drop", "info", 30),
        ],
        similar_sessions=list(similars),
    )


MTU_A = similar(
    "VPN keeps dropping every few minutes", "Lowered the tunnel MTU to 1400. The user confirmed.", "strong"
)
MTU_B = similar("Remote VPN disconnects every 5 minutes", "Lowered the VPN tunnel MTU to 1400.", "possible")
DNS = similar("VPN drops at the branch office", "Replaced the branch DNS server address.", "possible")


def test_every_fact_rests_on_a_step_that_says_it() -> None:
    material = vpn_material(MTU_A)
    summary = offline.summarize(material, now=NOW)

    by_id = {str(s.id): s for s in material.steps}
    assert summary.what_we_know == [f.text for f in summary.facts]
    assert len(summary.facts) == 4
    for fact in summary.facts:
        assert fact.step_ids, fact
        for step_id in fact.step_ids:
            assert offline.shorten(by_id[step_id].action, 100) in fact.text
    assert (
        "Reinstalled the FortiClient VPN client: failed (Still drops after 5 minutes)" in summary.what_we_know
    )
    assert (
        "Took a packet capture during a drop: partly helped (Fragmented ESP packets)" in summary.what_we_know
    )
    assert "Note: Asked about the home router" in summary.what_we_know


def test_no_history_and_no_lead_says_so_plainly_with_low_confidence() -> None:
    summary = offline.summarize(vpn_material(), now=NOW)

    assert summary.likely_cause == offline.NO_BASIS_CAUSE
    assert "the steps so far do not point at one" in summary.likely_cause
    assert summary.confidence == "low"
    assert summary.suggested_steps == [] and summary.evidence == []
    assert "Cause: not known yet." in summary.ticket_note
    assert summary.engine == "offline" and summary.state == "draft"


def test_a_finding_in_the_last_step_is_the_lead_when_history_has_nothing() -> None:
    summary = offline.summarize(OUTLOOK, now=NOW)

    assert summary.likely_cause.startswith("The steps point at what step 3 found:")
    assert (
        "Modern authentication is disabled" in summary.likely_cause and "EnableADAL=0" in summary.likely_cause
    )
    assert summary.evidence == [str(OUTLOOK.steps[2].id)]
    assert summary.confidence == "low"
    assert "EnableADAL=0" in summary.ticket_note


def test_an_error_repeating_across_failed_steps_is_a_lead() -> None:
    steps = [
        step("Restarted the print spooler", "Job fails with error 0x00000709", "failed", 0),
        step("Removed and re-added the printer", "Same: error 0x00000709", "failed", 5),
    ]
    summary = offline.summarize(vpn_material(steps=steps), now=NOW)

    assert summary.likely_cause.startswith("The steps point at 0x00000709")
    assert "steps 1, 2" in summary.likely_cause
    assert set(summary.evidence) == {str(s.id) for s in steps}


def test_a_weak_match_from_another_product_grounds_nothing() -> None:
    outlook_fix = similar(
        "Outlook keeps asking for the password",
        "Set EnableADAL to 1 and rebuilt the Outlook profile.",
        "weak",
        0.18,
    )
    summary = offline.summarize(SHAREPOINT.model_copy(update={"similar_sessions": [outlook_fix]}), now=NOW)

    assert "Outlook" not in summary.likely_cause
    assert summary.suggested_steps == []
    assert summary.confidence == "low"
    assert summary.similar_sessions == [outlook_fix]  # listed, for the senior to judge


def test_a_strong_match_gives_high_confidence_and_imperative_steps() -> None:
    summary = offline.summarize(vpn_material(MTU_A, MTU_B), now=NOW, state="ready")

    assert summary.confidence == "high"
    assert summary.suggested_steps == ["Lower the tunnel MTU to 1400"]  # the near-duplicate is merged
    assert "lower the tunnel MTU to 1400" in summary.likely_cause
    assert str(MTU_A.id) in summary.evidence and str(MTU_B.id) in summary.evidence
    assert summary.state == "ready"


def test_a_possible_match_is_medium() -> None:
    summary = offline.summarize(vpn_material(MTU_B, DNS), now=NOW)

    assert summary.confidence == "medium"
    assert summary.suggested_steps == [
        "Lower the VPN tunnel MTU to 1400",
        "Replace the branch DNS server address",
    ]


def test_steps_already_tried_are_never_suggested() -> None:
    steps = [
        step("Set the tunnel MTU to 1400", "Still drops", "failed"),
        step("Reinstalled the VPN client", "No change", "failed", 5),
    ]
    summary = offline.summarize(vpn_material(MTU_A, DNS, steps=steps), now=NOW)

    assert "Lower the tunnel MTU to 1400" not in summary.suggested_steps
    assert summary.suggested_steps == ["Replace the branch DNS server address"]
    assert str(DNS.id) == summary.evidence[0]


def test_when_every_known_fix_was_tried_the_cause_is_probably_different() -> None:
    steps = [step("Lowered the tunnel MTU to 1400", "Still drops", "failed")]
    summary = offline.summarize(vpn_material(MTU_A, MTU_B, steps=steps), now=NOW)

    assert summary.likely_cause == offline.ALL_TRIED_CAUSE
    assert summary.confidence == "low" and summary.suggested_steps == []
    assert summary.similar_sessions


def test_chips_are_whole_next_actions_from_fixing_steps() -> None:
    match = SimilarSession(
        id=uuid4(),
        problem="Scans to email stopped",
        resolution="The user confirmed it works. Thanks!",
        score=0.5,
        strength="possible",
        fixing_steps=[
            "Re-entered the SMTP relay password on the copier's address book page and enabled TLS on port 587 "  # noqa: E501
            "because the relay now refuses plain text"
        ],
    )
    summary = offline.summarize(vpn_material(match), now=NOW)

    assert summary.suggested_steps, summary
    for chip in summary.suggested_steps:
        assert len(chip) <= 80 and "…" not in chip and "..." not in chip
        assert chip[0].isupper() and not chip.endswith((",", " and", " the"))


def test_the_same_material_gives_the_same_summary() -> None:
    material = vpn_material(MTU_A, MTU_B, DNS)
    assert offline.summarize(material, now=NOW) == offline.summarize(material, now=NOW)


def test_many_failures_are_all_cited_within_the_fact_limit() -> None:
    steps = [step(f"Tried fix number {n} on the mail profile", "Same error", "failed", n) for n in range(14)]
    summary = offline.summarize(vpn_material(steps=steps), now=NOW)

    assert len(summary.facts) == MAX_FACTS
    assert {sid for fact in summary.facts for sid in fact.step_ids} == {str(s.id) for s in steps}
    assert summary.what_we_know[0].startswith("Also tried without success: Tried fix number 0")
    assert "…" not in summary.ticket_note


def test_earlier_suggestions_are_marked_tried_or_not() -> None:
    steps = [step("Lowered the tunnel MTU to 1400", "Still drops", "failed")]
    summary = offline.summarize(
        vpn_material(steps=steps),
        now=NOW,
        suggested_before=["Lower the tunnel MTU to 1400", "Check the DHCP scope"],
    )

    first, second = summary.suggested_before
    assert (first.step, first.tried, first.outcome) == ("Lower the tunnel MTU to 1400", True, "failed")
    assert (second.tried, second.outcome) == (False, None)


def test_imperatives_and_fix_steps() -> None:
    assert chips.imperative("We reinstalled the printer driver.") == "Reinstall the printer driver"
    assert chips.imperative("Ran chkdsk /f on the system drive") == "Run chkdsk /f on the system drive"
    assert chips.imperative("Snapshotted the VM first") == "Snapshotted the VM first"
    assert chips.fix_steps(
        "Cleared the credential manager entries. Recreated the profile. The user confirmed it works."
    ) == ["Clear the credential manager entries", "Recreate the profile"]
    assert chips.fix_steps("The user confirmed: “thanks a lot”") == []

"""The offline engine on its own: grounded, deterministic, honest about having no basis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from relaydesk.summaries import offline
from relaydesk.summaries.schemas import MAX_FACTS, SimilarSession, StepMaterial, SummaryMaterial

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


def similar(problem: str, resolution: str, score: float) -> SimilarSession:
    return SimilarSession(id=uuid4(), problem=problem, resolution=resolution, score=score)


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
    "VPN keeps dropping every few minutes", "Lowered the tunnel MTU to 1400. The user confirmed.", 0.8
)
MTU_B = similar("Remote VPN disconnects every 5 minutes", "Lowered the VPN tunnel MTU to 1400.", 0.7)
DNS = similar("VPN drops at the branch office", "Replaced the branch DNS server address.", 0.5)


def test_every_fact_rests_on_a_step_that_says_it() -> None:
    material = vpn_material(MTU_A)
    summary = offline.summarize(material, now=NOW)

    by_id = {str(s.id): s for s in material.steps}
    assert summary.what_we_know == [f.text for f in summary.facts]
    assert len(summary.facts) == 4
    for fact in summary.facts:
        assert fact.step_ids, fact
        for step_id in fact.step_ids:
            source = by_id[step_id]
            assert offline.shorten(source.action, 100) in fact.text
    assert (
        "Reinstalled the FortiClient VPN client: failed (Still drops after 5 minutes)" in summary.what_we_know
    )
    assert (
        "Took a packet capture during a drop: partly helped (Fragmented ESP packets)" in summary.what_we_know
    )
    assert "Note: Asked about the home router" in summary.what_we_know


def test_no_history_says_so_plainly_with_low_confidence() -> None:
    summary = offline.summarize(vpn_material(), now=NOW)

    assert summary.likely_cause == offline.NO_BASIS_CAUSE
    assert summary.likely_cause.startswith("No basis for a cause yet")
    assert summary.confidence == "low"
    assert summary.suggested_steps == []
    assert summary.evidence == []
    assert "The cause is not yet known." in summary.summary_prose
    assert summary.engine == "offline" and summary.state == "draft"


def test_two_strong_agreeing_matches_give_high_confidence_and_imperative_steps() -> None:
    summary = offline.summarize(vpn_material(MTU_A, MTU_B), now=NOW, state="ready")

    assert summary.confidence == "high"
    assert "2 similar resolved sessions" in (summary.confidence_basis or "")
    assert summary.suggested_steps == ["Lower the tunnel MTU to 1400"]  # the near-duplicate is merged
    assert "Lower the tunnel MTU to 1400" in summary.likely_cause
    assert str(MTU_A.id) in summary.evidence and str(MTU_B.id) in summary.evidence
    assert summary.state == "ready"


def test_one_match_is_medium_and_a_weak_one_low() -> None:
    assert offline.summarize(vpn_material(MTU_A), now=NOW).confidence == "medium"
    weak = similar("VPN slow in the morning", "Moved the user to the second VPN gateway.", 0.32)
    low = offline.summarize(vpn_material(weak), now=NOW)
    assert low.confidence == "low"
    assert low.suggested_steps == ["Move the user to the second VPN gateway"]


def test_disagreeing_matches_are_not_high() -> None:
    summary = offline.summarize(vpn_material(MTU_A, DNS), now=NOW)

    assert summary.confidence == "medium"
    assert summary.suggested_steps == [
        "Lower the tunnel MTU to 1400",
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


def test_when_every_known_fix_was_tried_the_cause_is_unknown() -> None:
    steps = [step("Lowered the tunnel MTU to 1400", "Still drops", "failed")]
    summary = offline.summarize(vpn_material(MTU_A, MTU_B, steps=steps), now=NOW)

    assert summary.likely_cause == offline.ALL_TRIED_CAUSE
    assert summary.confidence == "low" and summary.suggested_steps == []
    assert summary.similar_sessions  # still shown: the senior may read them


def test_the_same_material_gives_the_same_summary() -> None:
    material = vpn_material(MTU_A, MTU_B, DNS)
    assert offline.summarize(material, now=NOW) == offline.summarize(material, now=NOW)


def test_prose_is_a_plain_ticket_note() -> None:
    summary = offline.summarize(vpn_material(MTU_A), now=NOW)
    prose = summary.summary_prose

    assert prose.startswith("Acme Dental: VPN drops every 5 minutes for the finance team (ticket #T-4711).")
    assert "Tried without success: reinstalled the FortiClient VPN client." in prose
    assert "Partly helped: took a packet capture during a drop." in prose
    assert "Escalated because: Out of ideas after reinstalling the client." in prose
    assert "Suggested next step: lower the tunnel MTU to 1400." in prose
    assert "\n" not in prose and "*" not in prose and "#" not in prose.replace("#T-4711", "")


def test_many_failures_are_all_cited_within_the_fact_limit() -> None:
    steps = [step(f"Tried fix number {n} on the mail profile", "Same error", "failed", n) for n in range(14)]
    summary = offline.summarize(vpn_material(steps=steps), now=NOW)

    assert len(summary.facts) == MAX_FACTS
    cited = {sid for fact in summary.facts for sid in fact.step_ids}
    assert cited == {str(s.id) for s in steps}
    assert summary.what_we_know[0].startswith("Also tried without success: Tried fix number 0")


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
    assert offline.imperative("We reinstalled the printer driver.") == "Reinstall the printer driver"
    assert offline.imperative("Ran chkdsk /f on the system drive") == "Run chkdsk /f on the system drive"
    # Unknown verbs keep the resolution's own words rather than a wrong guess.
    assert offline.imperative("Snapshotted the VM first") == "Snapshotted the VM first"
    assert offline.fix_steps(
        "Cleared the credential manager entries. Recreated the profile. The user confirmed it works."
    ) == ["Clear the credential manager entries", "Recreate the profile"]
    assert offline.fix_steps("The user confirmed: “thanks a lot”") == []


def test_variant_templates_speak_to_the_client() -> None:
    case = offline.Audience(
        problem="VPN drops every 5 minutes",
        client="Acme",
        ticket="4711",
        steps_tried=2,
        partly_helped=True,
        resolved=False,
    )
    update = offline.client_update(case)
    assert "We are working on the issue you reported (VPN drops every 5 minutes)" in update
    assert "tried 2 things" in update and "senior engineer" in update
    email = offline.email_draft(case)
    assert email.startswith("Subject: An update on your support request (ticket #4711)\n\nHello Acme,\n\n")
    assert email.endswith("Kind regards,\nYour IT support team")

    done = offline.client_update(
        offline.Audience("VPN drops", None, None, steps_tried=3, partly_helped=False, resolved=True)
    )
    assert done.startswith("Good news: the issue you reported (VPN drops) has been fixed.")

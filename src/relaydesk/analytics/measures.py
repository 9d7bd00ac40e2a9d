"""The period's escalations with their two intervals, as SQL: read by the report and the
per-technician table, so both count the same escalations the same way.

`first_action_at` is stamped on the handoff with the claimer's first step after the claim
(handoffs/first_action.py; migration 0018 back-filled older rows), so this is one scan of
`handoffs` in the period (ix_handoffs_queue), no probe of `steps`.
"""

from __future__ import annotations

# {join} and {where} come from analytics/filters.py; :account_id, :start_at and :end_before are bound.
MEASURED_CTES = """
WITH scoped AS (
    SELECT h.status, h.created_at, h.claimed_at, h.first_action_at, h.created_by_id, h.claimed_by_id,
           h.release_count, CAST(h.created_at AT TIME ZONE 'UTC' AS date) AS day
    FROM handoffs h {join}
    WHERE h.account_id = :account_id AND h.intent = 'escalate'
      AND h.created_at >= :start_at AND h.created_at < :end_before {where}
),
measured AS (
    SELECT sc.status, sc.day, sc.release_count, sc.claimed_at, sc.created_by_id, sc.claimed_by_id,
           -- negative intervals (clock drift between replicas) count as 0; GREATEST ignores NULLs,
           -- so each floor sits behind its own IS NOT NULL
           CASE WHEN sc.claimed_at IS NOT NULL
                THEN GREATEST(CAST(EXTRACT(EPOCH FROM sc.claimed_at - sc.created_at) AS float8), 0) END
               AS pickup,
           CASE WHEN sc.claimed_at IS NOT NULL AND sc.first_action_at IS NOT NULL
                THEN GREATEST(CAST(EXTRACT(EPOCH FROM sc.first_action_at - sc.claimed_at) AS float8), 0) END
               AS first_action
    FROM scoped sc
)
"""

"""imports: the similar-search index maintained once per batch, and accounts that can be deleted

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:45:00

The per-session trigger of 0007 rebuilds one session's postings at a time, with a round of upserts into
search_terms and search_corpus per session: fine for a person resolving a session, slow for an import
of 100,000 (about 170 rows per CPU second). Now:

- The triggers skip their work in a transaction that has set `relaydesk.search_deferred` to `on`
  (`SET LOCAL` / `set_config(..., true)`), so it lasts only for that transaction. Whoever sets it
  promises to call `relaydesk_index_sessions(ids)` before committing: the importer does, per batch, so
  imported sessions are searchable as soon as their batch commits.
- `relaydesk_index_sessions(uuid[])` (re)builds the postings of many sessions in a few set-based
  statements: the terms of relaydesk_index_session, one upsert of term counts and one of the corpus.
- Deleting an account (ON DELETE CASCADE to its sessions) no longer fails: unindexing a session whose
  account is already gone leaves the counts alone (they go with the account), instead of updating
  search_terms rows whose account no longer exists (a foreign key violation).
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_DEFERRED = "current_setting('relaydesk.search_deferred', true) = 'on'"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION relaydesk_unindex_session(p_session_id uuid) RETURNS void
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        DECLARE
            v_account uuid;
            v_len real;
        BEGIN
            SELECT account_id, max(doc_len) INTO v_account, v_len
            FROM search_postings WHERE session_id = p_session_id GROUP BY account_id;
            IF v_account IS NULL THEN
                RETURN;
            END IF;
            -- The account is being deleted (its sessions cascade): the counts go with it.
            IF NOT EXISTS (SELECT 1 FROM accounts WHERE id = v_account) THEN
                RETURN;
            END IF;
            UPDATE search_terms t SET df = t.df - 1
            FROM search_postings p
            WHERE p.session_id = p_session_id AND t.account_id = v_account AND t.term = p.term;
            DELETE FROM search_postings WHERE session_id = p_session_id;
            UPDATE search_corpus SET docs = docs - 1, total_len = total_len - v_len
            WHERE account_id = v_account;
        END $$;

        -- (Re)build the postings of many sessions at once: what relaydesk_index_session does for one.
        CREATE FUNCTION relaydesk_index_sessions(p_ids uuid[]) RETURNS void
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        BEGIN
            -- Sessions indexed before (none, for an import's new sessions). One probe of the primary key
            -- per id: `session_id = ANY(...)` may be planned, with RLS's account filter, as a read of the
            -- account's (account_id, term) index, which grows with every batch.
            PERFORM relaydesk_unindex_session(i.id)
            FROM unnest(p_ids) AS i(id)
            CROSS JOIN LATERAL (SELECT 1 FROM search_postings p WHERE p.session_id = i.id LIMIT 1) AS hit;
            -- The counts come from the rows just inserted, never from re-reading search_postings.
            WITH posted AS (
                INSERT INTO search_postings (account_id, session_id, term, tf, doc_len)
                SELECT d.account_id, d.id, t.term, t.tf, sum(t.tf) OVER (PARTITION BY d.id)
                FROM (
                    SELECT s.id, s.account_id, s.problem_summary, s.resolution,
                           coalesce(s.category, '') || ' ' || coalesce(
                               (SELECT string_agg(st.action || ' ' || coalesce(st.result, ''), ' '
                                                  ORDER BY st.created_at, st.id)
                                FROM steps st WHERE st.session_id = s.id), '') AS worked,
                           (SELECT string_agg(coalesce(h.reason, '') || ' ' || coalesce(h.notes, ''), ' ')
                            FROM handoffs h WHERE h.session_id = s.id) AS handed
                    FROM sessions s WHERE s.id = ANY(p_ids) AND s.status = 'resolved'
                ) d,
                relaydesk_search_terms(d.problem_summary, d.resolution, d.worked, d.handed) AS t
                RETURNING account_id, session_id, term, doc_len
            ),
            -- In term order, as relaydesk_index_session does, so concurrent writers lock rows alike.
            counted AS (
                INSERT INTO search_terms (account_id, term, df)
                SELECT account_id, term, count(*) FROM posted
                GROUP BY account_id, term ORDER BY account_id, term
                ON CONFLICT (account_id, term) DO UPDATE SET df = search_terms.df + EXCLUDED.df
                RETURNING 1
            )
            INSERT INTO search_corpus (account_id, docs, total_len)
            SELECT account_id, count(*), sum(doc_len)
            FROM (SELECT DISTINCT ON (session_id) account_id, doc_len FROM posted ORDER BY session_id) x
            GROUP BY account_id ORDER BY account_id
            ON CONFLICT (account_id) DO UPDATE
            SET docs = search_corpus.docs + EXCLUDED.docs,
                total_len = search_corpus.total_len + EXCLUDED.total_len;
        END $$;

        CREATE OR REPLACE FUNCTION relaydesk_sessions_search_postings() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM relaydesk_unindex_session(OLD.id);
                RETURN OLD;
            END IF;
            IF {_DEFERRED} THEN
                RETURN NEW;  -- the transaction calls relaydesk_index_sessions before it commits
            END IF;
            IF NEW.status = 'resolved' THEN
                PERFORM relaydesk_index_session(NEW.id);
            ELSIF TG_OP = 'UPDATE' AND OLD.status = 'resolved' THEN
                PERFORM relaydesk_unindex_session(NEW.id);
            END IF;
            RETURN NEW;
        END $$;

        CREATE OR REPLACE FUNCTION relaydesk_children_search_postings() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        DECLARE
            v_id uuid;
        BEGIN
            IF {_DEFERRED} THEN
                RETURN NULL;
            END IF;
            FOR v_id IN
                SELECT DISTINCT n.session_id FROM new_rows n
                JOIN sessions s ON s.id = n.session_id AND s.status = 'resolved'
            LOOP
                PERFORM relaydesk_index_session(v_id);
            END LOOP;
            RETURN NULL;
        END $$;
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS relaydesk_index_sessions(uuid[])")
    op.execute(_ORIGINAL_0007)


# 0007's definitions, restored on downgrade.
_ORIGINAL_0007 = """
CREATE OR REPLACE FUNCTION relaydesk_unindex_session(p_session_id uuid) RETURNS void
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        DECLARE
            v_account uuid;
            v_len real;
        BEGIN
            SELECT account_id, max(doc_len) INTO v_account, v_len
            FROM search_postings WHERE session_id = p_session_id GROUP BY account_id;
            IF v_account IS NULL THEN
                RETURN;
            END IF;
            UPDATE search_terms t SET df = t.df - 1
            FROM search_postings p
            WHERE p.session_id = p_session_id AND t.account_id = v_account AND t.term = p.term;
            DELETE FROM search_postings WHERE session_id = p_session_id;
            UPDATE search_corpus SET docs = docs - 1, total_len = total_len - v_len
            WHERE account_id = v_account;
        END $$;

CREATE OR REPLACE FUNCTION relaydesk_sessions_search_postings() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM relaydesk_unindex_session(OLD.id);
                RETURN OLD;
            END IF;
            IF NEW.status = 'resolved' THEN
                PERFORM relaydesk_index_session(NEW.id);
            ELSIF TG_OP = 'UPDATE' AND OLD.status = 'resolved' THEN
                PERFORM relaydesk_unindex_session(NEW.id);
            END IF;
            RETURN NEW;
        END $$;

CREATE OR REPLACE FUNCTION relaydesk_children_search_postings() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        DECLARE
            v_id uuid;
        BEGIN
            FOR v_id IN
                SELECT DISTINCT n.session_id FROM new_rows n
                JOIN sessions s ON s.id = n.session_id AND s.status = 'resolved'
            LOOP
                PERFORM relaydesk_index_session(v_id);
            END LOOP;
            RETURN NULL;
        END $$;
"""

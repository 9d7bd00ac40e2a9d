"""Row-level security DDL shared by the migrations (invariant 1).

Keep these functions stable: landed migrations call them.
"""

from __future__ import annotations

from alembic import op

from relaydesk.db.uow import ACCOUNT_SETTING, APP_ROLE

CURRENT_ACCOUNT = f"NULLIF(current_setting('{ACCOUNT_SETTING}', true), '')::uuid"


def create_app_role() -> None:
    """The NOLOGIN role without BYPASSRLS that application connections SET ROLE to."""
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS;
            END IF;
            -- the migrating user must be able to SET ROLE to it (a superuser always can)
            BEGIN
                EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
            EXCEPTION WHEN OTHERS THEN NULL;
            END;
        END $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")


def grant_table(table: str) -> None:
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")


def tenant_table(table: str, *, key: str = "account_id") -> None:
    """Grant the app role and bind every row of `table` to the transaction's account.

    Not FORCEd: the table owner (the migrating role) stays unbound so the SECURITY DEFINER
    lookups work; the application never runs as the owner (it SETs ROLE on connect).
    """
    grant_table(table)
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({key} = {CURRENT_ACCOUNT}) WITH CHECK ({key} = {CURRENT_ACCOUNT})"
    )

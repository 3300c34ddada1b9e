"""The audit log stays append-only, except that entries older than the log retention can go.

``flask retention apply`` deletes audit entries older than 12 months (app/privacy/retention.py).
The guards still refuse every UPDATE, and every DELETE of an entry younger than 12 months less
one day: the day absorbs a clock gap between the app's host and the database's, and months of
different lengths, so the purge itself is never refused while anything recent stays untouchable.

Revision ID: 0004_audit_retention_purge
Revises: 0003_agent_indexes
Create Date: 2026-11-28 00:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004_audit_retention_purge'
down_revision = '0003_agent_indexes'
branch_labels = None
depends_on = None

#: Must match app.privacy.retention.LOG_MONTHS.
LOG_MONTHS = 12

_PG_FUNCTION = """
    CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
    BEGIN
        {allow}
        RAISE EXCEPTION 'audit_entries is append-only';
    END;
    $$ LANGUAGE plpgsql
"""
_PG_ALLOW_OLD = (f"IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{LOG_MONTHS} months' "
                 "+ interval '1 day' THEN RETURN OLD; END IF;")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION.format(allow=_PG_ALLOW_OLD))
        return
    op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
    op.execute(f"""
        CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        WHEN OLD.at >= datetime('now', '-{LOG_MONTHS} months', '+1 day')
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END
    """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION.format(allow=""))
        return
    op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
    op.execute("""
        CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END
    """)

"""Agent pages at scale: volunteers' next_expiry, indexes on updated_at for the statistics cache.

Volunteer profiles keep the earliest expiry of their current vetting steps (next_expiry).
The vetting queues filter and sort on it instead of ranking every step of every volunteer on
each view, and count the volunteers from the index (status, next_expiry, user_id,
neighbourhood_id) alone. app/services/vetting_summary.py keeps it after each flush that
touches a step. The upgrade fills it for every volunteer: the latest step of each kind is the
one no step of the same kind follows (done later, or the same day and recorded later).

The statistics page caches its figures under a version made of each table's row count and
latest ``updated_at`` (of users: the latest ``anonymised_at``, since logins change
``updated_at``): these indexes make that a lookup, not a scan. The index on
``users.anonymised_at`` also finds the erased accounts the console's lists leave out.

Revision ID: 0005_volunteer_next_expiry
Revises: 0004_audit_retention_purge
Create Date: 2026-11-28 00:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_volunteer_next_expiry'
down_revision = '0004_audit_retention_purge'
branch_labels = None
depends_on = None

#: Tables whose latest change the statistics cache reads (app/services/statistics_cache.py).
UPDATED_AT = ('resident_profiles', 'volunteer_profiles', 'matches', 'visits')

BACKFILL = """
    UPDATE volunteer_profiles SET next_expiry = (
        SELECT min(s.expires_on) FROM vetting_steps s
        WHERE s.volunteer_id = volunteer_profiles.id AND NOT EXISTS (
            SELECT 1 FROM vetting_steps t
            WHERE t.volunteer_id = s.volunteer_id AND t.kind = s.kind
              AND (t.done_on > s.done_on OR (t.done_on = s.done_on AND t.created_at > s.created_at))))
"""


def upgrade():
    with op.batch_alter_table('volunteer_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_expiry', sa.Date(), nullable=True))
        batch_op.create_index('ix_volunteer_profiles_queues',
                              ['status', 'next_expiry', 'user_id', 'neighbourhood_id'], unique=False)
    op.execute(BACKFILL)
    for table in UPDATED_AT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f'ix_{table}_updated_at', ['updated_at'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_anonymised_at', ['anonymised_at'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_anonymised_at')
    for table in UPDATED_AT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_updated_at')
    with op.batch_alter_table('volunteer_profiles', schema=None) as batch_op:
        batch_op.drop_index('ix_volunteer_profiles_queues')
        batch_op.drop_column('next_expiry')

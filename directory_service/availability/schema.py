"""The availability database's tables, one definition for SQLite and PostgreSQL.

SQLAlchemy Core tables: every query in availability/ is built from these, and the Alembic
migrations (availability/migrations/) create them. Times are ISO 8601 UTC strings with a
"Z" (db.iso), as the SQLite file always held them, so they compare in time order as text
on both backends and an existing file is adopted without rewriting a row.
"""
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, Text, UniqueConstraint

metadata = MetaData()
# SQLite needs exactly INTEGER for a rowid alias (AUTOINCREMENT); PostgreSQL gets bigint.
SEQ = BigInteger().with_variant(Integer(), "sqlite")

bed_reports = Table(
    "bed_reports", metadata,
    Column("facility_id", Text, primary_key=True),
    Column("level_of_care", Text, primary_key=True),
    Column("population", Text, primary_key=True),
    Column("capacity", Integer),
    Column("available", Integer),
    Column("status", Text, nullable=False),
    Column("reported_at", Text),
    Column("reported_by", Text),
    Column("note", Text),
    Column("version", Integer, nullable=False),
)
# One row per facility: the version an If-Match must name.
facility_versions = Table(
    "facility_versions", metadata,
    Column("facility_id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
)
# Append-only: a trigger refuses UPDATE and DELETE (migrations/versions/0002).
bed_history = Table(
    "bed_history", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("facility_id", Text, nullable=False),
    Column("event", Text, nullable=False),
    Column("level_of_care", Text, nullable=False),
    Column("population", Text, nullable=False),
    Column("capacity", Integer),
    Column("available", Integer),
    Column("status", Text, nullable=False),
    Column("reported_at", Text),
    Column("reported_by", Text),
    Column("note", Text),
    Column("version", Integer, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Index("bed_history_facility", "facility_id", "seq"),
    sqlite_autoincrement=True,
)
holds = Table(
    "holds", metadata,
    Column("id", Text, primary_key=True),
    Column("facility_id", Text, nullable=False),
    Column("level_of_care", Text, nullable=False),
    Column("population", Text, nullable=False),
    Column("coach_key_id", Text, nullable=False),
    Column("note", Text),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("decided_at", Text),
    Column("reason", Text),
    # Creation order within a second (created_at has whole seconds): SQLite's rowid did
    # this before; PostgreSQL has no rowid. Filled from rowid when an old file is adopted.
    Column("created_seq", SEQ),
    Index("holds_active", "facility_id", "level_of_care", "population", "state"),
    Index("holds_coach", "coach_key_id", "state", "expires_at"),
    Index("holds_created_seq", "created_seq"),
    # Holds past their time still marked active (holds.expire_due, every dispatch).
    Index("holds_expiry", "state", "expires_at"),
)
api_keys = Table(
    "api_keys", metadata,
    Column("id", Text, primary_key=True),
    Column("hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("facility_id", Text),
    Column("label", Text),
    Column("created_at", Text, nullable=False),
    Column("revoked_at", Text),
    # Coach keys only: the team a coach works in, the finest grain outcomes report by
    # (migration 0010); never a person.
    Column("coach_group", Text),
)
# The last change per facility, by a global sequence: search workers read what changed
# since their last look with one indexed query.
facility_changes = Table(
    "facility_changes", metadata,
    Column("facility_id", Text, primary_key=True),
    Column("seq", SEQ, nullable=False),
    Index("facility_changes_seq", "seq"),
)
# Transactional outbox: one row per committed change of a facility's live figures, written
# in the same transaction as the change; sync_positions records how far each target got.
# `event` names what happened (webhooks/events.py; NULL: a change no partner is told of)
# and `data` holds its figures as JSON text. An index run's row has facility_id "".
outbox = Table(
    "outbox", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("facility_id", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("event", Text),
    Column("data", Text),
    sqlite_autoincrement=True,
)
sync_positions = Table(
    "sync_positions", metadata,
    Column("target", Text, primary_key=True),
    Column("seq", SEQ, nullable=False),
    Column("updated_at", Text, nullable=False),
)
# Public "Something wrong?" reports about any record (DESIGN §12): anonymous, so no
# reporter column exists at all; `detail` is short free text checked for personal data.
public_reports = Table(
    "public_reports", metadata,
    Column("id", Text, primary_key=True),
    Column("record_id", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text),
    Column("created_at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("decided_at", Text),
    Column("decided_by", Text),
    Index("public_reports_record", "record_id", "state"),
    Index("public_reports_state", "state", "created_at"),
)
# One row (id 1): a number that moves with every report and decision, so a search's ETag
# can depend on public reports without depending on every bed report (api/http_cache.py).
public_report_changes = Table(
    "public_report_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", SEQ, nullable=False),
)
# When someone last checked a record was right (an admin's confirmed correction).

# A facility's own profile (DESIGN §12): the fields it declared, each with when and what
# the source said then (JSON text, profiles.py), merged over the indexed record wherever
# records are served. Its own version, so a profile edit never makes a bed report stale.
facility_profiles = Table(
    "facility_profiles", metadata,
    Column("facility_id", Text, primary_key=True),
    Column("fields", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("updated_by", Text),
)
# Append-only, as bed_history: every save, acceptance of a source value or keep.
profile_history = Table(
    "profile_history", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("facility_id", Text, nullable=False),
    Column("event", Text, nullable=False),
    Column("changes", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Column("recorded_by", Text),
    Index("profile_history_facility", "facility_id", "seq"),
    sqlite_autoincrement=True,
)
# When a record (any kind) was last confirmed true, and how (verification.py).
record_verifications = Table(
    "record_verifications", metadata,
    Column("record_id", Text, primary_key=True),
    Column("verified_at", Text, nullable=False),
    Column("how", Text, nullable=False),
    Column("by", Text),
)
# Onboarding from a loaded source: one invitation (a facility key) per facility, and
# when the facility first claimed its record (signed in or saved its profile).
facility_invitations = Table(
    "facility_invitations", metadata,
    Column("facility_id", Text, primary_key=True),
    Column("key_id", Text, nullable=False),
    Column("source_name", Text),
    Column("invited_at", Text, nullable=False),
    Column("claimed_at", Text),
    Column("claimed_how", Text),
)
# Staff sign-in sessions (availability/staff_sessions.py): the cookie holds only a random
# token; its SHA-256 is the id here, so a copy of the database holds no usable session.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("id", Text, primary_key=True),
    Column("key_id", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("last_seen_at", Text, nullable=False),
    # A session that must end sooner than the limits say (a nudge's "Update" link).
    Column("ends_at", Text),
    Index("staff_sessions_key", "key_id"),
    Index("staff_sessions_seen", "last_seen_at"),
)
# Periodic jobs (directory_service/jobs/claims.py): one row per (job, schedule slot), taken
# by the first node's runner to insert it, so a job runs once per slot across all nodes.
jobs_claims = Table(
    "jobs_claims", metadata,
    Column("job", Text, primary_key=True),
    Column("slot", Text, primary_key=True),
    Column("node", Text, nullable=False),
    Column("claimed_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("outcome", Text),
    Index("jobs_claims_claimed", "claimed_at"),
)

# Nudges (directory_service/nudges/): who a facility wants reminded, never shown
# publicly; `emails` is a JSON list. `link_key_id` is the facility key (no usable
# secret) that a message's one-tap links act as.
nudge_contacts = Table(
    "nudge_contacts", metadata,
    Column("facility_id", Text, primary_key=True),
    Column("emails", Text, nullable=False),
    Column("webhook_url", Text),
    # The webhook's Standard Webhooks signing secret (whsec_…), made when the URL is set
    # and shown once; it must sign, so it is kept as is (as webhook_subscriptions.secret).
    Column("webhook_secret", Text),
    Column("language", Text, nullable=False),
    Column("paused", Integer, nullable=False),
    Column("link_key_id", Text),
    Column("updated_at", Text, nullable=False),
    Column("updated_by", Text),
)
# Every nudge sent or tried, by channel (email, webhook): what the admin page lists and
# what decides "one nudge per staleness episode" and the bounded retries.
nudge_sends = Table(
    "nudge_sends", metadata,
    Column("id", Text, primary_key=True),
    Column("facility_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    # The address or URL (the admin page shows it masked; never logged).
    Column("recipient", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("message_id", Text),
    Column("stale_since", Text),
    Column("created_at", Text, nullable=False),
    Column("last_attempt_at", Text),
    Index("nudge_sends_facility", "facility_id", "created_at"),
    Index("nudge_sends_status", "status", "created_at"),
)
# One row per one-tap link: a link works once (`used_at`) and until `expires_at`.
nudge_links = Table(
    "nudge_links", metadata,
    Column("id", Text, primary_key=True),
    Column("facility_id", Text, nullable=False),
    Column("send_id", Text),
    Column("purpose", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("used_at", Text),
    Index("nudge_links_expires", "expires_at"),
)

# Coach watches (directory_service/watches/): the needs of a match, no personal data (the
# origin as a point rounded to about 100 m, never the typed place), until `expires_at`.
watches = Table(
    "watches", metadata,
    Column("id", Text, primary_key=True),
    Column("coach_key_id", Text, nullable=False),
    Column("needs", Text, nullable=False),
    Column("place", Text),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("ended_at", Text),
    Column("notify", Text),
    Column("notify_to", Text),
    Column("secret", Text),
    Column("email_language", Text),  # en or es; None (saved before 0011): en
    Index("watches_coach", "coach_key_id", "state", "expires_at"),
    Index("watches_state", "state", "expires_at"),
)
# The bed rows open for a watch's needs as last seen: an opening is a row not here.
watch_open_beds = Table(
    "watch_open_beds", metadata,
    Column("watch_id", Text, primary_key=True),
    Column("facility_id", Text, primary_key=True),
    Column("level_of_care", Text, primary_key=True),
    Column("population", Text, primary_key=True),
    Column("since", Text, nullable=False),
)
# Every fire of a watch: which bed opened, when, and what became of its notification.
watch_fires = Table(
    "watch_fires", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("watch_id", Text, nullable=False),
    Column("facility_id", Text, nullable=False),
    Column("level_of_care", Text, nullable=False),
    Column("population", Text, nullable=False),
    Column("open", Integer),
    Column("fired_at", Text, nullable=False),
    Column("notified", Text),
    Index("watch_fires_watch", "watch_id", "seq"),
    sqlite_autoincrement=True,
)
# One row (id 1): when the check last ran (holds expiring since then free beds with
# nobody writing) and the facilities to look at again (JSON), see watches/job.py.
watch_checks = Table(
    "watch_checks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("checked_at", Text, nullable=False),
    Column("recheck", Text, nullable=False),
)

# Outcomes (directory_service/outcomes/): at each nudge time, how many facilities with
# live rows were fresh, aging, stale or never reported (freshness_bands' rule).
outcomes_freshness = Table(
    "outcomes_freshness", metadata,
    Column("taken_at", Text, primary_key=True),
    Column("facilities", Integer, nullable=False),
    Column("fresh", Integer, nullable=False),
    Column("aging", Integer, nullable=False),
    Column("stale", Integer, nullable=False),
    Column("unreported", Integer, nullable=False),
)
# Partner webhooks (directory_service/webhooks/): an admin's subscriptions, and one
# delivery per (subscription, outbox row) or per ad-hoc target, retried until delivered
# or dead. The secret signs deliveries, so it is kept as given (it cannot be hashed).
webhook_subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("id", Text, primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("description", Text),
    Column("secret", Text, nullable=False),
    Column("state", Text, nullable=False),
    # Events after this outbox position only: a new subscription gets no history.
    Column("start_seq", SEQ, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("created_by", Text),
)
webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("id", Text, nullable=False, unique=True),
    Column("subscription_id", Text),
    Column("outbox_seq", SEQ),
    # Ad-hoc targets (deliver_to_url) carry their own URL and secret.
    Column("url", Text),
    Column("secret", Text),
    Column("event", Text, nullable=False),
    Column("payload", Text, nullable=False),
    # One lane per (subscription or URL, facility): a lane delivers in seq order.
    Column("lane", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("delivered_at", Text),
    Column("last_status", Integer),
    Column("last_error", Text),
    UniqueConstraint("subscription_id", "outbox_seq", name="webhook_deliveries_once"),
    Index("webhook_deliveries_due", "state", "next_attempt_at"),
    Index("webhook_deliveries_lane", "lane", "state", "seq"),
    Index("webhook_deliveries_subscription", "subscription_id", "state", "seq"),
    sqlite_autoincrement=True,
)

# Copy order for `migrate-availability` (no foreign keys, so any order would do).
TABLES = (api_keys, facility_versions, bed_reports, bed_history, holds, facility_changes,
          outbox, sync_positions, facility_profiles, profile_history, record_verifications,
          facility_invitations, public_reports, public_report_changes, staff_sessions,
          jobs_claims, nudge_contacts, nudge_sends, nudge_links,
          watches, watch_open_beds, watch_fires, watch_checks, outcomes_freshness,
          webhook_subscriptions, webhook_deliveries)

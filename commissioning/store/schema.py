"""The store's tables as of the latest migration, and the migrations that build them.

Migrations are versioned without alembic (one small schema): ``schema_version`` records the
applied steps and :data:`MIGRATIONS` lists them in order; the missing ones run in a single
transaction when a store is opened (:meth:`StoreBase.migrate`)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()
# The tables as of the latest migration. A new migration step must come with the matching change
# here, and must not rely on these objects for what it alters.
schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    Column("applied_at", String(32), nullable=False))
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text),
    Column("created_at", String(32), nullable=False),
    Column("active", Integer, nullable=False, server_default=text("1")),  # migration 2
    Column("organisation", String(300)),  # migration 3: the support organisation a provider account speaks for
    Column("demo", Integer, nullable=False, server_default=text("0")))  # migration 7: made by `demo load`
rounds = Table(
    "rounds", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("rules_yaml", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_at", String(32), nullable=False),
    # migration 5: the published snapshot of the rules and the bid deadline (NULL for rounds
    # imported whole from files, which have no intake)
    Column("rules_sha256", String(64)),
    Column("published_at", String(40)),
    Column("deadline", String(40)),
    Column("demo", Integer, nullable=False, server_default=text("0")),  # migration 7: made by `demo load`
    # migration 8: the assessment summaries, issued once with one notice date (the standstill's start)
    Column("summaries_notice", String(10)),
    Column("summaries_issued_at", String(40)))
lots = Table(
    "lots", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id"), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("round_id", "name"))
bids = Table(
    "bids", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id"), nullable=False),
    Column("lot_id", ForeignKey("lots.id"), nullable=False),
    Column("bid_ref", String(100), nullable=False),
    Column("organisation", String(300), nullable=False),
    Column("price", Float, nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("gates", Text, nullable=False),
    Column("areas", Text, nullable=False),
    Column("submitted_by", ForeignKey("users.id")),  # migration 5: the provider account, if any
    Column("consortium", Text),  # migration 5: partners after the lead, a JSON list (store.organisations)
    UniqueConstraint("round_id", "bid_ref"))
assignments = Table(
    "assignments", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    UniqueConstraint("bid_id", "user_id"))
conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("organisation_key", String(300), nullable=False),
    Column("organisation", String(300), nullable=False),
    Column("note", Text, nullable=False),
    Column("declared_at", String(32), nullable=False),
    UniqueConstraint("user_id", "organisation_key"))
scores = Table(
    "scores", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("criterion", String(50), nullable=False),
    Column("score", Float, nullable=False),
    Column("comment", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
    UniqueConstraint("bid_id", "user_id", "criterion"))
moderation = Table(
    "moderation", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("criterion", String(50), nullable=False),
    Column("score", Float, nullable=False),
    Column("note", Text, nullable=False),     # the chair's internal note: never shown to the bidder
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("decided_at", String(32), nullable=False),
    Column("reason", Text),                   # migration 8: the reason the bidder reads in its summary
    UniqueConstraint("bid_id", "criterion"))
# migration 5: bid intake, drafts, clarifications and flag decisions
bid_answers = Table(
    "bid_answers", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("criterion", String(50), nullable=False),
    Column("answer", Text, nullable=False),
    UniqueConstraint("bid_id", "criterion"))
score_drafts = Table(
    "score_drafts", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("criterion", String(50), nullable=False),
    Column("score", Float),
    Column("comment", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
    UniqueConstraint("bid_id", "user_id", "criterion"))
clarifications = Table(
    "clarifications", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("question", Text, nullable=False),
    Column("asked_by", ForeignKey("users.id"), nullable=False),
    Column("asked_at", String(40), nullable=False),
    Column("answer", Text),
    Column("answered_at", String(40)),
    Column("recorded_by", ForeignKey("users.id")),
    # migration 8: an exchange of general interest, published to every bidder without naming the bid
    Column("published_question", Text),
    Column("published_answer", Text),
    Column("published_at", String(40)))
flag_decisions = Table(
    "flag_decisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("bid_id", ForeignKey("bids.id"), nullable=False),
    Column("flag", Text, nullable=False),  # the engine's reason text, e.g. "abnormally low price: ..."
    Column("kind", String(60), nullable=False),  # the flag's key: price, or spread:<criterion>
    Column("note", Text, nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("decided_at", String(40), nullable=False))
# Migration 8: every version of a provider's bid (submitted, amended, withdrawn) and its drafts.
bid_versions = Table(
    "bid_versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id"), nullable=False),
    Column("bid_ref", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(20), nullable=False),     # submit, amend, withdraw
    Column("content", Text, nullable=False),          # JSON: lot, price, partners, areas, gates, answers
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("at", String(40), nullable=False),
    UniqueConstraint("round_id", "bid_ref", "version"))
bid_drafts = Table(
    "bid_drafts", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("content", Text, nullable=False),          # JSON: the form as the provider left it
    Column("updated_at", String(40), nullable=False),
    UniqueConstraint("round_id", "user_id"))
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", String(32), nullable=False),
    Column("user_id", Integer),
    Column("username", String(100)),
    Column("round_id", Integer),
    Column("action", String(50), nullable=False),
    Column("entity", Text, nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("prev_hash", String(64)),   # migration 4: the hash chain (store/audit.py)
    Column("row_hash", String(64)),
    Column("row_hmac", String(64)))    # migration 9: HMAC of row_hash when COMMISSIONING_AUDIT_KEY is set
login_throttle = Table(   # migration 4: failed sign-ins per username and per client (store/logins.py)
    "login_throttle", metadata,
    Column("kind", String(10), primary_key=True),
    Column("subject", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", Float, nullable=False),
    Column("locked_until", Float, nullable=False))


# Migration 6 (issue 13): providers' quarterly returns, one header per organisation and quarter
# and one row per service type and borough served (``code`` "London" = pan-London).
def _returns_table(meta: MetaData, *, demo: bool = True) -> Table:
    """The returns table; ``demo=False``: as migration 6 created it (before migration 7's ``demo``)."""
    return Table(
        "returns", meta,
        Column("id", Integer, primary_key=True),
        Column("organisation", String(300), nullable=False),
        Column("organisation_key", String(300), nullable=False),
        Column("quarter", String(6), nullable=False),
        Column("status", String(20), nullable=False),      # submitted, queried, approved
        Column("basis", String(20), nullable=False),       # real or illustrative
        Column("notes", Text, nullable=False),
        Column("query_note", Text),
        Column("submitted_by", ForeignKey("users.id"), nullable=False),
        Column("submitted_at", String(32), nullable=False),
        Column("decided_by", ForeignKey("users.id")),
        Column("decided_at", String(32)),
        *([Column("demo", Integer, nullable=False, server_default=text("0"))] if demo else []),  # migration 7
        UniqueConstraint("organisation_key", "quarter"))


returns = _returns_table(metadata)
return_rows = Table(
    "return_rows", metadata,
    Column("id", Integer, primary_key=True),
    Column("return_id", ForeignKey("returns.id"), nullable=False),
    Column("service", String(50), nullable=False),
    Column("code", String(20), nullable=False),
    Column("capacity", Float),
    Column("referrals", Integer),
    Column("referrals_refused", Integer),
    Column("cases_open", Integer),
    Column("waiting_days_median", Float),
    Column("clients_surveyed", Integer),
    Column("clients_satisfied", Integer),
    Column("notes", Text, nullable=False),
    UniqueConstraint("return_id", "service", "code"))


# Migration 7 (issue 21): sign-in sessions and invitations. Only the SHA-256 of each token is kept:
# the browser holds the session token (an HttpOnly cookie), the invitee the invitation link.
sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("last_seen", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),   # the absolute limit
    Column("idle_seconds", Integer, nullable=False),    # ended when unused this long
    Column("revoked_at", String(32)))
invitations = Table(
    "invitations", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("email", String(300)),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("used_at", String(32)))


def _returns_v6() -> Table:
    """The returns table as migration 6 created it (before migration 7 added ``demo``)."""
    meta = MetaData()
    users.to_metadata(meta)
    return _returns_table(meta, demo=False)
# Migration 10 (issue 23): the contracts a locked round's winning bids become, and the capacity
# each contracts per authority (provision of ``capacity_service``).
contracts = Table(
    "contracts", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("rounds.id"), nullable=False),
    Column("bid_id", ForeignKey("bids.id"), nullable=False, unique=True),
    Column("lot", String(200), nullable=False),
    Column("supplier", String(300), nullable=False),
    Column("partners", Text, nullable=False),           # JSON list of consortium partners
    Column("services", Text, nullable=False),           # JSON list of service type ids
    Column("capacity_service", String(50), nullable=False),
    Column("annual_value", Float, nullable=False),      # pounds a year
    Column("term_value", Float, nullable=False),        # pounds for the initial term
    Column("start_date", String(10), nullable=False),
    Column("initial_end", String(10), nullable=False),
    Column("end_date", String(10), nullable=False),     # the initial end plus the extension years used
    Column("extension_years", Integer, nullable=False),  # available when signed
    Column("extension_years_used", Integer, nullable=False),
    Column("status", String(20), nullable=False),       # active or ended
    Column("ended_on", String(10)),
    Column("end_reason", Text),
    Column("signed_on", String(10), nullable=False),
    Column("basis", String(20), nullable=False),        # real or illustrative
    Column("created_at", String(32), nullable=False))
contract_capacity = Table(
    "contract_capacity", metadata,
    Column("id", Integer, primary_key=True),
    Column("contract_id", ForeignKey("contracts.id"), nullable=False),
    Column("service", String(50), nullable=False),
    Column("code", String(20), nullable=False),
    Column("capacity", Float, nullable=False),
    UniqueConstraint("contract_id", "service", "code"))


def _users_v1(meta: MetaData | None = None) -> Table:
    """The users table as migration 1 created it (before migration 2 added ``active``)."""
    return Table(
        "users", meta if meta is not None else MetaData(),
        Column("id", Integer, primary_key=True),
        Column("username", String(100), nullable=False, unique=True),
        Column("display_name", String(200), nullable=False),
        Column("role", String(20), nullable=False),
        Column("password_hash", Text),
        Column("created_at", String(32), nullable=False))


def _audit_v1(meta: MetaData) -> Table:
    """The audit table as migration 1 created it (before migration 4 added the hash chain)."""
    return Table(
        "audit", meta,
        Column("id", Integer, primary_key=True),
        Column("at", String(32), nullable=False),
        Column("user_id", Integer),
        Column("username", String(100)),
        Column("round_id", Integer),
        Column("action", String(50), nullable=False),
        Column("entity", Text, nullable=False),
        Column("old_value", Text),
        Column("new_value", Text))


def _clarifications_v5(meta: MetaData) -> Table:
    """The clarifications table as migration 5 created it (before migration 8's published wording);
    ``meta`` must hold the bids and users tables it refers to."""
    return Table(
        "clarifications", meta,
        Column("id", Integer, primary_key=True),
        Column("bid_id", ForeignKey("bids.id"), nullable=False),
        Column("question", Text, nullable=False),
        Column("asked_by", ForeignKey("users.id"), nullable=False),
        Column("asked_at", String(40), nullable=False),
        Column("answer", Text),
        Column("answered_at", String(40)),
        Column("recorded_by", ForeignKey("users.id")))


def _schema_v1() -> MetaData:
    """The tables as migration 1 created them (rounds and bids before migration 5's columns, audit
    before migration 4's hash chain, moderation before migration 8's reason)."""
    meta = MetaData()
    _users_v1(meta)
    Table("rounds", meta,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=False, unique=True),
          Column("rules_yaml", Text, nullable=False),
          Column("state", String(20), nullable=False),
          Column("created_at", String(32), nullable=False))
    lots.to_metadata(meta)
    Table("bids", meta,
          Column("id", Integer, primary_key=True),
          Column("round_id", ForeignKey("rounds.id"), nullable=False),
          Column("lot_id", ForeignKey("lots.id"), nullable=False),
          Column("bid_ref", String(100), nullable=False),
          Column("organisation", String(300), nullable=False),
          Column("price", Float, nullable=False),
          Column("submitted_at", String(40), nullable=False),
          Column("gates", Text, nullable=False),
          Column("areas", Text, nullable=False),
          UniqueConstraint("round_id", "bid_ref"))
    for table in (assignments, conflicts, scores):
        table.to_metadata(meta)
    Table("moderation", meta,   # before migration 8's reason
          Column("id", Integer, primary_key=True),
          Column("bid_id", ForeignKey("bids.id"), nullable=False),
          Column("criterion", String(50), nullable=False),
          Column("score", Float, nullable=False),
          Column("note", Text, nullable=False),
          Column("user_id", ForeignKey("users.id"), nullable=False),
          Column("decided_at", String(32), nullable=False),
          UniqueConstraint("bid_id", "criterion"))
    _audit_v1(meta)
    return meta

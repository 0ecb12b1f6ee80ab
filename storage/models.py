"""SQLModel tables: units, members, invites, progress, conversation state, audit,
deadlines, the message outbox, broadcasts, platform tokens, inbound events, the
reminder leader's term, task scope and unit exemptions, and the dashboard's login links
and sessions, the directives added by admins and their proposed deadlines."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sa_text,
)
from sqlalchemy.orm import relationship
from sqlmodel import Field, Relationship, SQLModel

from storage.types import UTCDateTime, utcnow

#: Stable constraint names, so later (batch) migrations can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

DEFAULT_DOCUMENT = "09-KL/BTCTW"
NOTE_MAX_CHARS = 2000


class Role(StrEnum):
    """What a member may do."""

    MEMBER = "member"
    LEADER = "leader"
    ADMIN = "admin"


class Level(StrEnum):
    """Administrative level of a unit ("" when not given)."""

    NONE = ""
    CENTRAL = "tw"  # the Central Commission's own level (task scope; rarely a unit's)
    PROVINCE = "tinh"
    DISTRICT = "huyen"
    GRASSROOTS = "coso"


def _fk(target: str, ondelete: str | None = None, *, nullable: bool = True) -> Any:
    """Return a Field holding an integer foreign key column."""
    return Field(
        default=None,
        sa_column_args=[ForeignKey(target, ondelete=ondelete)],
        sa_type=Integer,
        nullable=nullable,
        index=True,
    )


class UnitBase(SQLModel):
    """Fields a caller gives for a unit."""

    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=255)
    level: str = Field(default="", max_length=16)


class Unit(UnitBase, table=True):
    """An organisation unit (tỉnh / huyện / cơ sở) in a tree."""

    __tablename__ = "unit"
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = _fk("unit.id", "SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MemberBase(SQLModel):
    """Fields identifying a person on one channel."""

    channel: str = Field(max_length=32)
    external_id: str = Field(max_length=64)
    chat_id: str = Field(default="", max_length=64)
    display_name: str = Field(default="", max_length=255)


class Member(MemberBase, table=True):
    """A person on one channel; role and unit decide what they may do."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_member_channel_external_id"),
        CheckConstraint("role IN ('member', 'leader', 'admin')", name="role"),
    )
    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(default=Role.MEMBER.value, max_length=16)
    unit_id: int | None = _fk("unit.id", "SET NULL")
    # Loaded with the member (one query per chat message, and async-safe: never lazy).
    unit: Unit | None = Relationship(sa_relationship=relationship("Unit", lazy="joined"))
    subscribed: bool = Field(default=False)  # general reminders: opt-in with /nhacnho bat
    blocked: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A single-use code binding its redeemer to a unit as leader (only the hash is kept)."""

    __tablename__ = "invite"
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = _fk("unit.id", "CASCADE", nullable=False)
    code_hash: str = Field(max_length=64, unique=True, index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_member_id: int | None = _fk("member.id", "SET NULL")
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InviteAttempt(SQLModel, table=True):
    """One wrong invite code typed by a member (for rate limiting)."""

    __tablename__ = "invite_attempt"
    __table_args__ = (Index("ix_invite_attempt_member_at", "member_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column_args=[ForeignKey("member.id", ondelete="CASCADE")], sa_type=Integer
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgressUpdateBase(SQLModel):
    """Fields of one progress report."""

    document: str = Field(default=DEFAULT_DOCUMENT, max_length=64)
    task_code: str = Field(max_length=32)
    status: str = Field(max_length=20)
    percent: int | None = Field(default=None)
    note: str = Field(default="", max_length=NOTE_MAX_CHARS)


class ProgressUpdate(ProgressUpdateBase, table=True):
    """A unit's report on one task (append-only; the newest per unit and task wins).

    A repeat within minutes replaces the report before it: that row stays, marked
    `replaced_by`, for the audit, and is no longer shown.
    """

    __tablename__ = "progress_update"
    __table_args__ = (
        Index(
            "ix_progress_update_unit_task_at",
            "unit_id",
            "document",
            "task_code",
            "reported_at",
            "id",
        ),
        Index("ix_progress_task", "document", "task_code"),
        # A closed period's reports, read from the index alone (migration 0008).
        Index("ix_progress_update_period", "document", "reported_at", "task_code", "unit_id"),
        CheckConstraint(
            "status IN ('chua_trien_khai', 'dang_thuc_hien', 'hoan_thanh', 'vuong_mac')",
            name="status",
        ),
        CheckConstraint("percent IS NULL OR (percent >= 0 AND percent <= 100)", name="percent"),
    )
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(
        sa_column_args=[ForeignKey("unit.id", ondelete="CASCADE")], sa_type=Integer
    )
    reporter_member_id: int | None = _fk("member.id", "SET NULL")
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The report that replaced this one (a repeat within REPLACE_WINDOW); NULL = it stands.
    replaced_by: int | None = Field(default=None)


class ProgressLatest(SQLModel, table=True):
    """The newest report per (unit, document, task), kept by add_update in the same transaction.

    Derived data: `rebuild_latest` recomputes it from progress_update with a window function.
    """

    __tablename__ = "progress_latest"
    __table_args__ = (
        Index("ix_progress_latest_task", "document", "task_code", "status", "unit_id"),
        # Reports dated in a period, read from the index alone (migration 0008).
        Index(
            "ix_progress_latest_period", "document", "status", "reported_at", "task_code", "unit_id"
        ),
        # Done pairs per task with their dates, read from the index alone (migration 0011).
        Index(
            "ix_progress_latest_done", "document", "status", "task_code", "reported_at", "unit_id"
        ),
    )
    unit_id: int = Field(
        primary_key=True, sa_column_args=[ForeignKey("unit.id", ondelete="CASCADE")]
    )
    document: str = Field(primary_key=True, max_length=64)
    task_code: str = Field(primary_key=True, max_length=32)
    update_id: int = Field(
        sa_column_args=[ForeignKey("progress_update.id", ondelete="CASCADE")], index=True
    )
    status: str = Field(max_length=20)
    reported_at: datetime = Field(sa_type=UTCDateTime)


class ConversationState(SQLModel, table=True):
    """Where a chat is in a multi-step flow; ignored once expired."""

    __tablename__ = "conversation_state"
    __table_args__ = (
        UniqueConstraint("channel", "chat_id", name="uq_conversation_state_channel_chat_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=64)
    state: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    """Who changed what, when (written in the same transaction as the change)."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=255)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- Reminders (migration 0003) ---------------------------------------------------------

OUTBOX_TEXT_MAX_CHARS = 4000
OUTBOX_ERROR_MAX_CHARS = 500
DEADLINE_TITLE_MAX_CHARS = 500


class DeadlineSource(StrEnum):
    """Where a deadline comes from."""

    DOCUMENT = "document"  # parsed from the directive, synced at every start
    ADMIN = "admin"  # added by an admin


class Deadline(SQLModel, table=True):
    """A due date of a task, with the offsets at which to remind (soft-deleted, never lost).

    At most one not-removed row per (document, task_code, due_at): enforced by the queries.
    """

    __tablename__ = "deadline"
    __table_args__ = (
        Index("ix_deadline_task", "document", "task_code", "due_at"),
        CheckConstraint("source IN ('document', 'admin')", name="source"),
    )
    id: int | None = Field(default=None, primary_key=True)
    document: str = Field(default=DEFAULT_DOCUMENT, max_length=64)
    task_code: str = Field(max_length=32)
    title: str = Field(default="", max_length=DEADLINE_TITLE_MAX_CHARS)
    due_at: datetime = Field(sa_type=UTCDateTime)
    offsets: str = Field(max_length=64)  # e.g. "30d,7d,1d,0d", validated by the caller
    source: str = Field(default=DeadlineSource.ADMIN.value, max_length=16)
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxKind(StrEnum):
    """Why a message is sent."""

    REMINDER = "reminder"
    OVERDUE = "overdue"
    PERIOD = "period"
    BROADCAST = "broadcast"


class OutboxStatus(StrEnum):
    """Where a message is on its way out."""

    PENDING = "pending"  # waiting for next_attempt_at (new, or retrying after an error)
    SENDING = "sending"  # claimed by a sender (reclaimed when its lease expires)
    SENT = "sent"
    FAILED = "failed"  # reserved; retries are "pending" with attempts > 0
    DEAD = "dead"  # gave up after max attempts
    UNDELIVERABLE = "undeliverable"  # the platform refused for good (403, outside the window)
    DROPPED = "dropped"  # an admin gave up on a dead message (`outbox drop`): kept, never sent


class Outbox(SQLModel, table=True):
    """One message to one chat; `key` is unique per (occasion, recipient), so never twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_occasion_status", "occasion", "status"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'undeliverable',"
            " 'dropped')",
            name="status",
        ),
        CheckConstraint("kind IN ('reminder', 'overdue', 'period', 'broadcast')", name="kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True, index=True)
    occasion: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=64)
    member_id: int | None = _fk("member.id", "SET NULL")
    text: str = Field(max_length=OUTBOX_TEXT_MAX_CHARS)
    # One-tap buttons sent with the text: [[label, payload], …], one per row (migration 0008).
    buttons: list[list[str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=OUTBOX_ERROR_MAX_CHARS)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str = Field(default="", max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the leader term of the claim (see LeaderTerm); a server default, so inserts written
    # before the column existed (and backups of older revisions) still work
    claimed_term: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )


class Broadcast(SQLModel, table=True):
    """An admin's message to an audience; its messages are outbox rows "broadcast:<id>"."""

    __tablename__ = "broadcast"
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=OUTBOX_TEXT_MAX_CHARS)
    audience: str = Field(max_length=96)  # "all" | "leaders" | "unit:CODE"
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    total: int = Field(default=0)


class PlatformToken(SQLModel, table=True):
    """A platform's current OAuth pair (Zalo OA): the refresh token is single-use, so the
    new pair is stored, in one write, before the new access token is used."""

    __tablename__ = "platform_token"
    channel: str = Field(primary_key=True, max_length=32)
    access_token: str = Field(max_length=2048)
    refresh_token: str = Field(max_length=2048)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboundEvent(SQLModel, table=True):
    """A platform event already taken in: (channel, key) is unique, so a webhook or poll
    delivered twice, to this process or another, is handled once. `key` is the platform's
    event id, or a hash of the signed body where the platform gives none. Kept a day."""

    __tablename__ = "inbound_event"
    channel: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=128)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class LeaderTerm(SQLModel, table=True):
    """The reminder leader's term: incremented each time a process becomes the leader, so
    a deposed leader (hung, then resumed) can tell it is stale and send nothing it claimed."""

    __tablename__ = "leader_term"
    name: str = Field(primary_key=True, max_length=32)
    term: int = Field(default=0)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TaskScope(SQLModel, table=True):
    """One unit level or one unit a task of a document applies to.

    A task with no rows applies to every unit, unless `storage/data/task-scope.tsv` gives it
    a default (the Central Commission's own tasks of Kết luận 09: level "tw"); with rows,
    only to units of a listed level or listed themselves.
    """

    __tablename__ = "task_scope"
    __table_args__ = (
        Index("ix_task_scope_task", "document", "task_code"),
        CheckConstraint("(level IS NULL) <> (unit_id IS NULL)", name="level_or_unit"),
    )
    id: int | None = Field(default=None, primary_key=True)
    document: str = Field(default=DEFAULT_DOCUMENT, max_length=64)
    task_code: str = Field(max_length=32)
    level: str | None = Field(default=None, max_length=16)
    unit_id: int | None = _fk("unit.id", "CASCADE")
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebLoginLink(SQLModel, table=True):
    """A one-time dashboard login link (only the token's sha256 is kept)."""

    __tablename__ = "web_login_link"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    member_id: int = _fk("member.id", "CASCADE", nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UnitExemption(SQLModel, table=True):
    """A unit excused from reporting (and reminders) from `starts_on` to `ends_on`, inclusive."""

    __tablename__ = "unit_exemption"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="span"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = _fk("unit.id", "CASCADE", nullable=False)
    starts_on: date
    ends_on: date
    reason: str = Field(max_length=255)
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in dashboard browser (only the cookie's sha256 is kept); ends when idle."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    member_id: int = _fk("member.id", "CASCADE", nullable=False)
    csrf: str = Field(max_length=64)  # the forms' token; useless without the cookie
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class DirectiveStatus(StrEnum):
    """Whether a stored directive is in use."""

    ACTIVE = "active"
    ARCHIVED = "archived"  # out of menus and reminders; its answers and progress kept


class Directive(SQLModel, table=True):
    """A directive added by an admin: its normalised text (parsed by every process).

    The bundled Kết luận 09-KL/BTCTW is not a row; it is current while no row is.
    At most one row is current (a partial unique index).
    """

    __tablename__ = "directive"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'archived')", name="status"),
        Index(
            "ix_directive_one_current",
            "is_current",
            unique=True,
            sqlite_where=sa_text("is_current"),
            postgresql_where=sa_text("is_current"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True)
    kind: str = Field(default="", max_length=64)
    title: str = Field(default="", max_length=500)
    issued: date | None = Field(default=None)
    filename: str = Field(default="", max_length=255)
    sha256: str = Field(max_length=64, unique=True)
    text: str = Field(sa_type=Text)  # the normalised text every process parses
    status: str = Field(default=DirectiveStatus.ACTIVE.value, max_length=16)
    is_current: bool = Field(default=False)
    added_by: str = Field(default="", max_length=128)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProposalState(StrEnum):
    """What the admin decided about a deadline found in a newly added directive."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"  # copied into `deadline`, reminded like any other
    REJECTED = "rejected"


class DeadlineProposal(SQLModel, table=True):
    """A dated deadline found in an added directive, waiting for the admin's decision."""

    __tablename__ = "deadline_proposal"
    __table_args__ = (
        CheckConstraint("state IN ('proposed', 'accepted', 'rejected')", name="state"),
        UniqueConstraint("directive_id", "task_code", "due_on", name="uq_deadline_proposal"),
    )
    id: int | None = Field(default=None, primary_key=True)
    directive_id: int = _fk("directive.id", "CASCADE", nullable=False)
    document: str = Field(max_length=64)
    task_code: str = Field(max_length=32)
    due_on: date
    phrase: str = Field(default="", max_length=255)
    state: str = Field(default=ProposalState.PROPOSED.value, max_length=16)
    deadline_id: int | None = Field(default=None)  # the deadline row once accepted
    decided_by: str = Field(default="", max_length=128)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

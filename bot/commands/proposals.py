"""`python -m bot deadlines proposed | accept | reject`: deadlines found in an added directive.

`documents add` stores a directive's dated deadlines as proposals; none is reminded until
an admin accepts it (it then becomes a deadline row like any other, which the running
bot's reminder service picks up within seconds). Rejected ones are kept as decided.
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_texts as texts
from bot.commands.errors import EXIT_OK, UsageError
from bot.commands.runner import reports_errors, with_database
from bot.database import Database
from bot.settings import Settings
from scheduler.plan import local_moment, parse_clock_time
from storage.models import Deadline, DeadlineProposal, DeadlineSource, ProposalState
from storage.queries.deadlines import add_deadline
from storage.queries.directives import decide_proposal, list_proposals

ACTOR = "cli"


def add_actions(actions: argparse._SubParsersAction) -> None:
    """Register `deadlines proposed`, `deadlines accept` and `deadlines reject`."""
    proposed = actions.add_parser("proposed", help="list deadlines waiting for a decision")
    proposed.add_argument("--json", action="store_true", help="print a JSON array")
    proposed.set_defaults(func=run_proposed)
    for name, helptext, func in (
        ("accept", "remind a proposed deadline like any other", run_accept),
        ("reject", "drop a proposed deadline (never reminded)", run_reject),
    ):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("ids", nargs="*", metavar="ID")
        action.add_argument("--all", action="store_true", help="every proposed deadline")
        action.set_defaults(func=func)


def _day(proposal: DeadlineProposal) -> str:
    return proposal.due_on.strftime("%d/%m/%Y")


@reports_errors
def run_proposed(args: argparse.Namespace, settings: Settings) -> int:
    """List the proposed deadlines, soonest first."""
    rows = with_database(settings, pending)
    if args.json:
        data = [
            {
                "id": p.id,
                "document": p.document,
                "task": p.task_code,
                "due": p.due_on.isoformat(),
                "phrase": p.phrase,
            }
            for p in rows
        ]
        print(json.dumps(data, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print(texts.PROPOSALS_NONE)
        return EXIT_OK
    for p in rows:
        print(
            texts.PROPOSAL_LINE.format(
                id=p.id, document=p.document, code=p.task_code, due=_day(p), phrase=p.phrase
            )
        )
    print(texts.PROPOSAL_HINT)
    return EXIT_OK


async def pending(db: Database) -> list[DeadlineProposal]:
    """Return the proposals waiting for a decision."""
    async with db.sessions() as session:
        return await list_proposals(session)


def chosen(args: argparse.Namespace, rows: list[DeadlineProposal]) -> list[DeadlineProposal]:
    """Return the proposals the arguments name (all with --all); unknown ids are refused."""
    if args.all:
        return rows
    by_id = {p.id: p for p in rows}
    out = []
    for value in args.ids:
        if not value.isdigit():
            raise UsageError(texts.PROPOSAL_ID_BAD.format(value=value))
        if int(value) not in by_id:
            raise UsageError(texts.PROPOSAL_UNKNOWN.format(id=value))
        out.append(by_id[int(value)])
    if not out:
        raise UsageError(texts.PROPOSAL_UNKNOWN.format(id="?"))
    return out


@reports_errors
def run_accept(args: argparse.Namespace, settings: Settings) -> int:
    """Turn proposals into deadlines, reminded at REMINDER_TIME on the due day's offsets."""
    picked = chosen(args, with_database(settings, pending))

    async def accept(db: Database) -> list[tuple[DeadlineProposal, int]]:
        done = []
        async with db.sessions() as session:
            for p in picked:
                deadline = await accept_proposal(
                    session, proposal=p, settings=settings, actor=ACTOR
                )
                done.append((p, deadline.id or 0))
        return done

    for p, deadline_id in with_database(settings, accept):
        print(
            texts.PROPOSAL_ACCEPTED.format(
                id=p.id, code=p.task_code, document=p.document, due=_day(p), deadline=deadline_id
            )
        )
    return EXIT_OK


@reports_errors
def run_reject(args: argparse.Namespace, settings: Settings) -> int:
    """Mark proposals rejected: never reminded."""
    picked = chosen(args, with_database(settings, pending))

    async def reject(db: Database) -> None:
        async with db.sessions() as session:
            for p in picked:
                await reject_proposal(session, proposal=p, actor=ACTOR)

    with_database(settings, reject)
    for p in picked:
        print(
            texts.PROPOSAL_REJECTED.format(
                id=p.id, code=p.task_code, document=p.document, due=_day(p)
            )
        )
    return EXIT_OK


async def accept_proposal(
    session: AsyncSession, *, proposal: DeadlineProposal, settings: Settings, actor: str
) -> Deadline:
    """Turn one proposal into a deadline (source `document`, due at REMINDER_TIME on its day,
    reminded on REMINDER_OFFSETS) and record the decision; both audited as `actor`."""
    at = parse_clock_time(settings.reminder_time)
    deadline = await add_deadline(
        session,
        task_code=proposal.task_code,
        due_at=local_moment(proposal.due_on, at, settings.zone),
        offsets=settings.reminder_offsets,
        actor=actor,
        document=proposal.document,
        source=DeadlineSource.DOCUMENT.value,
    )
    await decide_proposal(
        session,
        proposal_id=proposal.id or 0,
        state=ProposalState.ACCEPTED.value,
        actor=actor,
        deadline_id=deadline.id,
    )
    return deadline


async def reject_proposal(session: AsyncSession, *, proposal: DeadlineProposal, actor: str) -> None:
    """Mark one proposal rejected (never reminded); audited as `actor`."""
    await decide_proposal(
        session, proposal_id=proposal.id or 0, state=ProposalState.REJECTED.value, actor=actor
    )

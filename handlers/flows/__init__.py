"""The named multi-step flows, registered in one place (see `base.Flow`).

report: /baocao (handlers/flows/report.py); broadcast: /phatthanh (handlers/flows/broadcast.py);
move: a leader confirming a move to another unit's invite (handlers/flows/move.py);
upload: a directive file an admin sends (handlers/flows/upload.py).
"""

from __future__ import annotations

from datetime import tzinfo

from handlers.flows.base import Flow, is_cancel
from handlers.flows.broadcast import BroadcastFlow
from handlers.flows.move import MoveFlow
from handlers.flows.report import ReportFlow
from handlers.flows.upload import UploadFlow
from handlers.ports import KnowledgeBase, Meter

__all__ = ["BroadcastFlow", "Flow", "Registry", "ReportFlow", "UploadFlow", "is_cancel"]


class Registry:
    """Every flow, by name (the state row's) and by the payload kind of its buttons."""

    def __init__(self, library: KnowledgeBase, meter: Meter, timezone: tzinfo) -> None:
        self.report = ReportFlow(library, meter, timezone)
        self.broadcast = BroadcastFlow(library, timezone)
        self.move = MoveFlow()
        self.upload = UploadFlow(library)
        flows: list[Flow] = [self.report, self.broadcast, self.move, self.upload]
        self.by_name = {flow.name: flow for flow in flows}
        self.by_kind = {flow.kind: flow for flow in flows}

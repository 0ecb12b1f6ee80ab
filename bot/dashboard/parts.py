"""The period and administration pages of issue 15 (overview matrix, task, missing reports,
units, exports), registered by `add_dashboard` after the foundation's parts."""

from __future__ import annotations

from bot.dashboard.missing import MissingPages
from bot.dashboard.overview import OverviewPages
from bot.dashboard.units import UnitPages

PAGES_PARTS = (OverviewPages, MissingPages, UnitPages)

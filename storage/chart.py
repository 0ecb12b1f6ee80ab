"""PNG bar chart of completion per task group (matplotlib Agg, DejaVu Sans for Vietnamese)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

DEFAULT_TITLE = "Tỷ lệ hoàn thành theo nhóm nhiệm vụ"
FONT = "DejaVu Sans"


def _literal(text: str) -> str:
    """Return `text` with "$" escaped, so matplotlib never reads it as math (`$x_{$`)."""
    return text.replace("$", r"\$")


def _percent(done: int, total: int) -> float:
    """Return done/total as a percentage (0 when total is 0)."""
    return 100.0 * done / total if total > 0 else 0.0


def completion_chart(
    groups: Sequence[tuple[str, int, int]],
    *,
    title: str = DEFAULT_TITLE,
    xlabel: str = "Tỷ lệ đơn vị hoàn thành (%)",
) -> bytes:
    """Draw one horizontal bar per (group label, done, total); return PNG bytes (no pyplot)."""
    # matplotlib takes ~0.4 s to import: only the processes that draw pay for it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [_literal(textwrap.fill(label, 38)) for label, _, _ in groups]
    values = [_percent(done, total) for _, done, total in groups]
    figure = Figure(figsize=(9, 1.6 + 0.55 * max(len(groups), 1)), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = range(len(groups))
    axes.barh(list(positions), values, color="#c62828")
    axes.set_yticks(list(positions), labels, fontfamily=FONT, fontsize=9)
    axes.invert_yaxis()
    axes.set_xlim(0, 115)
    axes.set_xlabel(_literal(xlabel), fontfamily=FONT)
    axes.set_title(_literal(title), fontfamily=FONT, fontsize=12)
    for position, value, (_, done, total) in zip(positions, values, groups, strict=True):
        axes.text(
            value + 1,
            position,
            f"{done}/{total} ({value:.0f}%)",
            va="center",
            fontfamily=FONT,
            fontsize=8,
        )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

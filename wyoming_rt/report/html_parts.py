"""Small pieces every HTML writer shares: escaping, numbers for people, tables."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence

from wyoming_rt.report.safe_text import json_safe, xml_text

MAX_CELL_CHARS = 2_000
"""A value a server controls (an info field, a transcript) is shown up to this many characters."""


def esc(text: object, limit: int | None = None) -> str:
    """``text`` escaped for HTML text and attributes; cut to ``limit`` characters (with an ellipsis)."""
    value = xml_text(str(text))
    if limit is not None and len(value) > limit:
        value = value[:limit] + f"… ({len(value) - limit} more characters)"
    return html.escape(value, quote=True)


def finite(value: float | None) -> float | None:
    """``value`` when it is a finite number, else ``None``."""
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def ms(value: float | None) -> str:
    """Milliseconds, whole, or ``-``."""
    v = finite(value)
    return "-" if v is None else f"{v:.0f}"


def rate(value: float | None, digits: int = 3) -> str:
    """A rate (WER, CER, RTF) or ``-``."""
    v = finite(value)
    return "-" if v is None else f"{v:.{digits}f}"


def sort_value(value: float | None) -> str:
    """A ``data-v`` attribute the table's sorting reads (empty when not measured)."""
    v = finite(value)
    return f' data-v="{v:.6g}"' if v is not None else ' data-v=""'


def compact(value: object, limit: int = 300) -> str:
    """A setting or a note as short text: strings as they are, anything else as compact JSON."""
    text = value if isinstance(value, str) else json.dumps(json_safe(value), ensure_ascii=False, separators=(", ", ": "))
    return esc(text, limit)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], attrs: str = "") -> str:
    """A table of cells already in HTML; a header starting with ``#`` is a numeric column."""
    head = "".join(f'<th class="num">{esc(h[1:])}</th>' if h.startswith("#") else f"<th>{esc(h)}</th>" for h in headers)
    numeric = [h.startswith("#") for h in headers]
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if n else f"<td>{c}</td>" for c, n in zip(row, numeric, strict=False))
        + "</tr>"
        for row in rows
    )
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def mark(passed: bool) -> str:
    """A pass/fail badge."""
    return '<span class="badge pass">pass</span>' if passed else '<span class="badge fail">FAIL</span>'

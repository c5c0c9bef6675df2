"""Whatever a server sends (lone surrogates, control characters, NaN), the report files stay
valid: JSON that strict parsers read, well-formed XML, UTF-8 that can be written."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from wyoming_rt.records.text import is_encodable

_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold, not even escaped (control characters, lone surrogates, U+FFFE/F)."""


def clean_text(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD, so that it encodes as UTF-8."""
    if is_encodable(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def xml_text(text: str) -> str:
    """``text`` that an XML 1.0 document can hold: every illegal character becomes U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", clean_text(text))


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as ``null`` and every string (keys too) cleaned."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)) if not isinstance(k, (int, float, bool)) else k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def json_dumps(value: Any) -> str:
    """Strict JSON (no NaN, valid UTF-8) of ``value``, indented for people."""
    return json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False)

"""Redis replies as Python values: the one decoder of the stores, the read side and the service.

Replies are bytes unless the connection decodes responses; both are accepted everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def text_of(value: object) -> str:
    """A reply as str (UTF-8); None (no such key or field) as ""."""
    if value is None:
        return ""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def text_or_none(value: object) -> str | None:
    """`text_of`, keeping None (no such key or field) apart from an empty string."""
    return None if value is None else text_of(value)


def pairs(reply: Mapping[Any, Any] | Sequence[Any]) -> Mapping[Any, Any]:
    """A raw HGETALL reply as a dict: a map in RESP3, field, value, ... in RESP2."""
    if isinstance(reply, Mapping):
        return reply
    return dict(zip(reply[::2], reply[1::2], strict=True))

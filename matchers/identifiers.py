"""The identifiers idmerge knows, their kinds and default priority (MATCHING.md)."""

from __future__ import annotations

from typing import Literal

Kind = Literal["key", "personal", "source_key", "device", "anonymous"]

#: Canonical identifiers, highest priority first, with their default kind.
DEFAULT_IDENTIFIERS: dict[str, Kind] = {
    "external_id": "key",
    "email": "personal",
    "phone": "personal",
    "system_id": "source_key",
    "user_pseudo_id": "anonymous",
    "device_id": "device",
    "mobile_push_token": "device",
    "web_push_token": "device",
    "telegram_id": "device",
    "ad_id": "device",
    "cookie": "anonymous",
}

KINDS: tuple[Kind, ...] = ("key", "personal", "source_key", "device", "anonymous")

#: Default limit on distinct usable values of one identifier per contact.
DEFAULT_LIMITS: dict[str, int] = {"external_id": 1, "email": 5, "phone": 5}
DEFAULT_OTHER_LIMIT = 20

#: A value carried by records with more than this many distinct key values is a hub.
DEFAULT_OVER_SHARED = 20

#: The column that decides recency; not an identifier.
UPDATED_AT = "updated_at"

#: Suffix of the output column that keeps an identifier's non-primary values.
OTHER_SUFFIX = "_other"
#: Separator of several values in one cell of an ``*_other`` column.
OTHER_SEPARATOR = "|"

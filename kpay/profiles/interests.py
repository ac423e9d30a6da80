"""Interest tags: how a member's typed list becomes the tags recommendations match on."""

from __future__ import annotations

import re

MAX_TAGS = 10
MAX_TAG_LENGTH = 30
# ASCII and full-width commas and semicolons, the ideographic comma and line breaks: Chinese
# keyboards type "，" or "、" where English ones type ",".
SEPARATORS = re.compile(r"[,，、;；\r\n]")


def normalize_tag(tag: str) -> str:
    """``tag`` trimmed, inner spaces collapsed, lower-cased (Chinese has no case: kept as typed)."""
    return " ".join(tag.split()).lower()


def parse_interests(text: str) -> list[str]:
    """The distinct normalised tags in ``text``, in the order first typed; no limits applied."""
    tags = (normalize_tag(part) for part in SEPARATORS.split(text or ""))
    return list(dict.fromkeys(tag for tag in tags if tag))

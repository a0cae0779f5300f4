"""A small per-page cache for results that several stages need.

The pipeline calls ``split_documents``, ``extract_fields`` and
``check_document`` one after another on the same ``Page`` objects. The
layout fit and the ink map of a page are costly enough to compute once.
Entries are keyed by the page object itself (held, so its id cannot be
reused) and the oldest pages are dropped first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from intake.types import Page

T = TypeVar("T")

MAX_PAGES = 24
"""Pages kept; a file larger than this recomputes for its early pages."""

_entries: OrderedDict[int, tuple[Page, dict[str, Any]]] = OrderedDict()


def cached(page: Page, key: str, compute: Callable[[Page], T]) -> T:
    """Return ``compute(page)``, computing it once per page and key."""
    entry = _entries.get(id(page))
    if entry is None or entry[0] is not page:
        entry = (page, {})
        _entries[id(page)] = entry
        while len(_entries) > MAX_PAGES:
            _entries.popitem(last=False)
    else:
        _entries.move_to_end(id(page))
    values = entry[1]
    if key not in values:
        values[key] = compute(page)
    return values[key]  # type: ignore[no-any-return]


def peek(page: Page, key: str) -> Any:
    """Return a cached value for ``page``, or None when there is none."""
    entry = _entries.get(id(page))
    if entry is None or entry[0] is not page:
        return None
    return entry[1].get(key)


def clear() -> None:
    """Forget every cached page."""
    _entries.clear()

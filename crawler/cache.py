"""The folder where yrd-news keeps what it can rebuild (the segmenter's model, the site's
table summaries): `$XDG_CACHE_HOME/yrdnews`, else `~/.cache/yrdnews`."""

from __future__ import annotations

import os
from pathlib import Path


def cache_folder() -> Path:
    """Raises RuntimeError when neither is set and there is no home folder."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "yrdnews"

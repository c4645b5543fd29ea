"""The folder where yrd-news keeps what it can rebuild (jieba's dictionary, the segmenter's
model, the site's table summaries): the user's cache folder, `$XDG_CACHE_HOME/yrdnews` or
`~/.cache/yrdnews` on Linux (platformdirs)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_cache_dir


def cache_folder() -> Path:
    return Path(user_cache_dir("yrdnews"))

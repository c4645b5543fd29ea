"""The raw HTTP response an article was extracted from, served from the crawl's WARC archive
so a reader can check the extraction against the page as it was downloaded.

A captured page is someone else's HTML: it is served under a Content-Security-Policy that
sandboxes it (no script runs, no form posts, a unique origin) and lets it load nothing, not
even its own images from the original site, so reading a capture leaks nothing to anyone."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.archive import ArchivedResponse

CAPTURE_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "font-src data:; form-action 'none'; base-uri 'none'"
)
CAPTURE_HEADERS = {
    "Content-Security-Policy": CAPTURE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, max-age=3600",
}
# Types a browser may display inside the sandbox; anything else is offered as a download.
DISPLAYABLE = ("text/html", "text/plain", "application/xhtml+xml")


class CaptureNotFound(LookupError):
    """The article's archive is not among the folders this server may read."""


def resolve_archive(warc_file: str, roots: Iterable[Path]) -> Path:
    """The stored WARC file name as a file inside one of `roots`, which are the only folders
    served. A crawl stores the name it wrote (relative to where it ran, or absolute), so a
    relative name is tried under each root, then its bare file name."""
    roots = [root.resolve() for root in roots]
    stored = Path(warc_file)
    candidates = [stored] if stored.is_absolute() else [root / stored for root in roots]
    candidates += [root / stored.name for root in roots]
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_file() and any(resolved.is_relative_to(root) for root in roots):
            return resolved
    raise CaptureNotFound(f"archive {stored.name} is not available on this server")


def load_capture(
    warc_file: str, offset: int, record_id: str, roots: Iterable[Path]
) -> ArchivedResponse:
    """The archived response of an article, checked against the record id stored with it."""
    # The crawler's archive code, imported only when a capture is asked for.
    from crawler.archive import ArchiveError, read_response
    from crawler.limits import BodyRejected

    try:
        response = read_response(resolve_archive(warc_file, roots), offset)
    except (ArchiveError, BodyRejected) as exc:
        raise CaptureNotFound(str(exc)) from exc
    if response.ref.record_id != record_id:
        raise CaptureNotFound(f"record {record_id} is not at offset {offset} of {warc_file}")
    return response


def capture_headers(response: ArchivedResponse) -> tuple[str, dict[str, str]]:
    """Content type and headers to serve a capture with: its own type when displayable."""
    content_type = next(
        (v for k, v in response.headers if k.lower() == "content-type"), "text/html"
    )
    headers = dict(CAPTURE_HEADERS)
    if content_type.split(";")[0].strip().lower() not in DISPLAYABLE:
        headers["Content-Disposition"] = "attachment"
    return content_type, headers

"""`yrdnews schedule`: the systemd units pass `systemd-analyze verify` (Debian's systemd
package; `make install` installs it when missing, as root), and the cron line is the one the
README shows."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.schedule import SERVICE, TIMER

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def schedule(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler", "schedule", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, (
        "systemd-analyze is missing: `make install` (as root) or apt-get install systemd"
    )
    result = schedule(
        "--print", "systemd", "--db", str(tmp_path / "y.db"), "--write", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    printed = dict(re.findall(r"# --- (\S+)\n(.*?)(?=# --- |\Z)", result.stdout, re.S))
    assert set(printed) == {SERVICE, TIMER}
    for name, text in printed.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    service = printed[SERVICE]
    assert f"ExecStart={BIN / 'yrdnews'} crawl -q --resume --db {tmp_path / 'y.db'} " in service
    assert f"Lock: {tmp_path / 'y.db'}.lock" in service
    assert "OnCalendar=*-*-* 06:00:00" in printed[TIMER]
    # --man=no: the container has no man pages, and the units name none
    verify = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / SERVICE), str(tmp_path / TIMER)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stderr
    assert verify.stderr.strip() == "", verify.stderr  # not even a warning


def test_verify_would_catch_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: a unit with a wrong key and a missing command does."""
    schedule("--print", "systemd", "--write", str(tmp_path))
    service = tmp_path / SERVICE
    text = service.read_text(encoding="utf-8").replace("ExecStart=/", "ExecStart=/nowhere/")
    service.write_text(text.replace("Nice=10", "Nicety=10"), encoding="utf-8")
    verify = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(service), str(tmp_path / TIMER)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode != 0
    assert "Nicety" in verify.stderr and "/nowhere/" in verify.stderr


def test_the_cron_line_is_the_one_the_readme_shows() -> None:
    result = schedule("--print", "cron")
    assert result.returncode == 0, result.stderr
    *comments, line = result.stdout.strip().splitlines()
    assert all(comment.startswith("# ") for comment in comments)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"^0 6 \* \* \* cd .*$", readme, re.M)
    assert shown, "README.md shows no cron line"
    # the README writes the installation as /srv/yrd-news
    ours = line.replace(str(BIN), "/srv/yrd-news/.venv/bin").replace(str(ROOT), "/srv/yrd-news")
    assert ours == shown.group(0)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--print", "cron", "--at", "25:00"], "--at: '25:00' is not a time of day"),
        (["--print", "cron", "--since", "yesterday"], "--since: 'yesterday' is not a date"),
    ],
)
def test_bad_schedule_options_are_one_line(args: list[str], fragment: str) -> None:
    result = schedule(*args)
    assert result.returncode == 1
    assert result.stderr.strip() == f"yrdnews: error: {fragment}" or fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

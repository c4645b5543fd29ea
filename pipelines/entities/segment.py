"""Chinese words with part-of-speech tags, from jieba's dictionary and HMM, in linear time.

jieba's own `posseg.cut` runs its tagging HMM over every stretch of characters its dictionary
leaves unsegmented, and for characters its model has never seen (or transitions it has never
seen) it tries every one of its 256 states against every other: 167 rare characters took 1.2 s,
`亿` × 40,000 took 1.8 s. Here the dictionary pass is jieba's (`HMM=False`), and the HMM pass
is redone with a bounded state set:
- characters missing from the HMM's table are single words tagged `x` (the HMM never sees them);
- each character is read only in the states the model lists for it (at most 60), and only the
  `_BEAM` best states of the previous character are carried on; when no listed state can follow,
  the character starts a new word, as at the start of a sentence.
On ordinary text this gives the words and tags jieba gives (the same on every corpus and seed
text checked when it was written); the cost per character is bounded whatever the input.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import marshal
import os
import re
import time
from functools import cache
from importlib import metadata
from math import log
from pathlib import Path
from typing import Any

from crawler.cache import cache_folder

_log = logging.getLogger(__name__)
_BEAM = 16
_FLOOR = -3.14e100  # jieba's log-probability of an unseen emission
_FORMAT = 2  # of the cache file, in its name: a file of another layout is never read
# Another install's cache file unread this long is removed when a new one is written; a half
# written one (its writer killed) after an hour.
_UNUSED_FOR, _ABANDONED_AFTER = 30 * 86400, 3600

Word = tuple[str, str, int]  # word, part-of-speech flag, start offset
Row = dict[Any, tuple[float, Any]]  # state -> (log probability, previous state)


Entry = tuple[dict[str, int], dict[str, str]]  # count of each word or prefix, tag of each word
_NO_ENTRY: Entry = ({}, {})  # of a character no dictionary word starts with (never changed)


class _Entries(dict[str, Entry]):
    """The dictionary's words by their first character, each character's unpacked from the
    cache on first use: building the whole dictionary costs a quarter of a second, and a page
    of a thousand characters starts a third of its words (about 400 of its 12,000 first
    characters), which is all that `extract` on one page then builds."""

    def __init__(self, packed: dict[str, bytes]) -> None:
        super().__init__()
        self.packed = packed

    def __missing__(self, char: str) -> Entry:
        packed = self.packed.pop(char, None)  # unpacked once: its bytes are no longer needed
        entry: Entry = _NO_ENTRY if packed is None else marshal.loads(packed)
        self[char] = entry
        return entry


class _Model:
    """jieba's dictionary, tags, HMM tables and the patterns its tagger splits text with.

    Read once per process from a cache file of plain data (`_cached`), since importing
    jieba.posseg (which reads dict.txt for the tags) and loading jieba's own dictionary cache
    cost over a second; only the first start after jieba changes reads jieba itself."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.entries = _Entries(data["entries"])
        self.logtotal = log(data["total"])
        self.states: dict[str, tuple[Any, ...]] = data["states"]
        self.start_p: dict[Any, float] = data["start_p"]
        self.trans_p: dict[Any, dict[Any, float]] = data["trans_p"]
        self.emit_p: dict[Any, dict[str, float]] = data["emit_p"]
        self.follows = {y0: frozenset(follow) for y0, follow in self.trans_p.items()}
        patterns = {name: re.compile(p) for name, p in data["patterns"].items()}
        self.han_internal, self.skip_internal = patterns["han_internal"], patterns["skip_internal"]
        self.han_detail, self.skip_detail = patterns["han_detail"], patterns["skip_detail"]
        self.num, self.eng = patterns["num"], patterns["eng"]

    def count(self, word: str) -> int | None:
        """The dictionary count of a non-empty word: 0 for a prefix of a word only, None for
        neither."""
        return self.entries[word[0]][0].get(word)

    def tag(self, word: str) -> str:
        return self.entries[word[0]][1].get(word, "x")


def _from_jieba() -> dict[str, Any]:
    """Everything `_Model` needs, read from jieba (its dictionary through jieba's own cache)."""
    import jieba
    import jieba.posseg as posseg

    jieba.setLogLevel(logging.WARNING)
    tokenizer = posseg.dt.tokenizer
    tokenizer.check_initialized()
    entries: dict[str, Entry] = {}
    for word, count in tokenizer.FREQ.items():
        entries.setdefault(word[0], ({}, {}))[0][word] = count
    for word, tag in posseg.dt.word_tag_tab.items():
        entries.setdefault(word[0], ({}, {}))[1][word] = tag
    names = ("han_internal", "skip_internal", "han_detail", "skip_detail", "num", "eng")
    return {
        "entries": {char: marshal.dumps(entry) for char, entry in entries.items()},
        "total": tokenizer.total,
        "states": posseg.char_state_tab_P,
        "start_p": posseg.start_P,
        "trans_p": posseg.trans_P,
        "emit_p": posseg.emit_P,
        "patterns": {name: getattr(posseg, "re_" + name).pattern for name in names},
    }


def _cache_file() -> Path | None:
    """Where the model's data is kept between runs, named after the installed jieba's version
    and its dictionary's content: every install of the same jieba shares one file (17 MB), and
    a new jieba or dictionary gets a new one; None if jieba is missing."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    try:
        dictionary = (Path(spec.origin).parent / "dict.txt").read_bytes()
        folder = cache_folder()
    except (OSError, RuntimeError):  # no dictionary file to name it after, or no home folder
        return None
    digest = hashlib.blake2b(dictionary, digest_size=8).hexdigest()
    return folder / f"segment{_FORMAT}-{metadata.version('jieba')}-{digest}.marshal"


def _prune(kept: Path) -> None:
    """Remove the cache files other installs left and no longer read, and half-written ones,
    so that upgrades over months do not pile up files in the user's cache."""
    now = time.time()
    for other in kept.parent.glob("segment*"):
        try:
            unused = now - other.stat().st_mtime
            if other.suffix == ".part":
                stale = unused > _ABANDONED_AFTER
            else:
                stale = other != kept and other.suffix == ".marshal" and unused > _UNUSED_FOR
            if stale:
                other.unlink()
        except OSError:
            continue  # gone already, or not ours to remove


def _cached() -> dict[str, Any]:
    """The model's data from the cache file, made from jieba when missing. A cache that cannot
    be read or written only costs time."""
    path = _cache_file()
    if path is not None:
        try:
            data: dict[str, Any] = marshal.loads(path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            pass
        else:
            with contextlib.suppress(OSError):
                os.utime(path)  # read, so in use: not for `_prune` to remove
            return data
    data = _from_jieba()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_suffix(f".{os.getpid()}.part")
            part.write_bytes(marshal.dumps(data))
            os.replace(part, path)  # whole or absent: a concurrent reader never sees half a file
            _prune(path)
        except OSError:
            _log.warning("could not write the segmenter cache %s", path)
    return data


@cache
def _model() -> _Model:
    return _Model(_cached())


def words(text: str) -> list[Word]:
    """(word, flag, start) for every word of `text`, as jieba's `posseg.cut` splits and tags
    them; offsets follow from the word lengths."""
    model = _model()
    out: list[Word] = []
    pos = 0
    for block in model.han_internal.split(text):
        if not block:
            continue
        if model.han_internal.match(block):
            _block(model, block, pos, out)
        else:  # punctuation and blanks: one word per character (and per "\r\n"), all tagged x;
            # jieba's tests for m and eng never hold here, as the blocks above take every
            # digit, Latin letter and full stop
            for chunk in model.skip_internal.split(block):
                if model.skip_internal.match(chunk):
                    out.append((chunk, "x", pos))
                else:
                    out.extend((char, "x", pos + i) for i, char in enumerate(chunk))
                pos += len(chunk)
            continue
        pos += len(block)
    return out


def _route(model: _Model, block: str) -> list[int]:
    """End of the dictionary word starting at each offset on the most probable path: jieba's
    `get_DAG` and `calc` in one pass (the same sums in the same order, so the same path; ties
    go to the longer word, as jieba's `max` over (score, end) pairs does)."""
    entries, logtotal = model.entries, model.logtotal
    n = len(block)
    score = [0.0] * (n + 1)
    ends = [0] * (n + 1)
    for idx in range(n - 1, -1, -1):
        best = end = None
        i = idx
        counts = entries[block[idx]][0]
        f = counts.get(block[idx])
        while f is not None:  # a word or the prefix of one (count 0)
            if f:
                total = log(f) - logtotal + score[i + 1]
                if best is None or total >= best:
                    best, end = total, i
            i += 1
            if i == n:
                break
            f = counts.get(block[idx : i + 1])
        if best is None:  # no dictionary word starts here: the character alone
            best, end = -logtotal + score[idx + 1], idx
        score[idx] = best
        ends[idx] = end + 1
    return ends


def _block(model: _Model, block: str, offset: int, out: list[Word]) -> None:
    """Dictionary words of a run of Han, Latin and digits; the one-character words between
    them are read again by the HMM, which finds names and other new words."""
    ends = _route(model, block)
    single = 0  # start of the pending run of one-character words
    x = 0
    while x < len(block):
        y = ends[x]
        if y - x > 1:
            if single < x:
                _singles(model, block, single, x, offset, out)
            word = block[x:y]
            out.append((word, model.tag(word), offset + x))
            single = y
        x = y
    _singles(model, block, single, len(block), offset, out)


def _singles(model: _Model, block: str, start: int, end: int, offset: int, out: list[Word]) -> None:
    """A run of one-character dictionary words: one word, a known word read character by
    character, or Han stretches for the HMM and Latin/digit stretches as `eng` / `m`."""
    if end <= start:
        return
    run = block[start:end]
    if len(run) <= 1 or model.count(run):
        out.extend((c, model.tag(c), offset + start + i) for i, c in enumerate(run))
        return
    pos = offset + start
    for part in model.han_detail.split(run):
        if not part:
            continue
        if model.han_detail.match(part):
            _han(model, part, pos, out)
        else:
            for piece in model.skip_detail.split(part):
                if piece:
                    flag = "m" if model.num.match(piece) else "eng"
                    if not model.eng.match(piece) and flag != "m":
                        flag = "x"
                    out.append((piece, flag, pos))
                    pos += len(piece)
            continue
        pos += len(part)


def _han(model: _Model, run: str, offset: int, out: list[Word]) -> None:
    """Characters the HMM has never seen are words of their own; the stretches between are
    decoded by the HMM."""
    known = model.states
    begin = 0
    for i, char in enumerate(run):
        if char not in known:
            if i > begin:
                _hmm(model, run[begin:i], offset + begin, out)
            out.append((char, model.tag(char), offset + i))
            begin = i + 1
    if begin < len(run):
        _hmm(model, run[begin:], offset + begin, out)


def frequency(word: str) -> int:
    """jieba's dictionary count of a word (0 when it is not in the dictionary)."""
    return (_model().count(word) or 0) if word else 0


def _beam(row: Row) -> list[tuple[Any, float]]:
    """The `_BEAM` best states of a row with their scores, best first, ties in the row's order
    (what a stable sort by descending score keeps)."""
    ranked = sorted([(-p, k, y) for k, (y, (p, _)) in enumerate(row.items())])[:_BEAM]
    return [(y, -neg) for neg, _, y in ranked]


def _hmm(model: _Model, chars: str, offset: int, out: list[Word]) -> None:
    """New words in `chars` (every character known to the model), by beam Viterbi."""
    if len(chars) == 1:  # most runs: a character alone, in its best opening state
        out.append((chars, _lone_flag(model, chars), offset))
        return
    trans_p, follow_sets = model.trans_p, model.follows
    best = [_starts(model, chars[0])]
    for c in chars[1:]:
        allowed, emissions = _readings(model, c)
        # For each state of c, the best of the previous character's best states that can
        # lead to it: each previous state (best first) is paired only with the states it
        # leads to, and a later one replaces an earlier one only by scoring higher.
        tops: dict[Any, tuple[float, Any]] = {}
        for y0, p in _beam(best[-1]):
            follow = trans_p[y0]
            for y in allowed & follow_sets[y0]:
                score = p + follow[y]
                top = tops.get(y)
                if top is None or score > top[0]:
                    tops[y] = (score, y0)
        row: Row = {  # in the model's order of states, as the rows are read
            y: (tops[y][0] + emit, tops[y][1]) for y, emit in emissions if y in tops
        }
        best.append(row or _starts(model, c))  # no known transition: a new word starts here
    state = _best_state(best[-1])
    path = [state]
    for t in range(len(chars) - 1, 0, -1):
        state = best[t][state][1] or _best_state(best[t - 1])
        path.append(state)
    path.reverse()
    begin = 0
    for i, (bmes, flag) in enumerate(path):
        if i + 1 == len(path) or bmes in "ES" or path[i + 1][0] in "BS":
            out.append((chars[begin : i + 1], flag, offset + begin))
            begin = i + 1


@cache
def _readings(model: _Model, char: str) -> tuple[frozenset[Any], tuple[tuple[Any, float], ...]]:
    """The states the model lists for a character, as a set and in its order with the
    character's emission score in each: looked up once per character, not at every one."""
    states = model.states[char]
    emit_p = model.emit_p
    return frozenset(states), tuple((y, emit_p[y].get(char, _FLOOR)) for y in states)


def _best_state(row: Row) -> Any:
    return max(row, key=lambda y: row[y][0])


@cache
def _lone_flag(model: _Model, char: str) -> str:
    """The tag of a character the HMM reads alone: that of its best opening state."""
    flag: str = _best_state(_starts(model, char))[1]
    return flag


@cache
def _starts(model: _Model, char: str) -> Row:
    """The states a word can start in, scored as at the start of a sentence (one row per
    character, shared: rows are never changed)."""
    start_p, emit_p = model.start_p, model.emit_p
    row = {y: (start_p[y] + emit_p[y].get(char, _FLOOR), None) for y in model.states[char]}
    opening = {y: v for y, v in row.items() if y[0] in "BS"}
    return opening or row

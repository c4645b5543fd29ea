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

import logging
import re
from functools import cache
from typing import Any

_HAN = re.compile(r"[\u4e00-\u9fd5]")  # what jieba's HMM works on
_BEAM = 16
_FLOOR = -3.14e100  # jieba's log-probability of an unseen emission

Word = tuple[str, str, int]  # word, part-of-speech flag, start offset


@cache
def _model() -> Any:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.posseg.dt.tokenizer.check_initialized()
    return jieba.posseg


def words(text: str) -> list[Word]:
    """(word, flag, start) for every word of `text`, as jieba's `posseg.cut` splits and tags
    them; offsets follow from the word lengths."""
    posseg = _model()
    out: list[Word] = []
    pos = 0
    for block in posseg.re_han_internal.split(text):
        if not block:
            continue
        if posseg.re_han_internal.match(block):
            out.extend(_block(block, pos))
        else:  # punctuation and spaces, one word per character (a blank run is one word)
            for chunk in posseg.re_skip_internal.split(block):
                if posseg.re_skip_internal.match(chunk):
                    out.append((chunk, "x", pos))
                    pos += len(chunk)
                    continue
                for char in chunk:
                    flag = "m" if posseg.re_num.match(char) else "x"
                    if flag == "x" and posseg.re_eng.match(chunk):
                        flag = "eng"
                    out.append((char, flag, pos))
                    pos += 1
            continue
        pos += len(block)
    return out


def _block(block: str, offset: int) -> list[Word]:
    """Dictionary words of a run of Han, Latin and digits; the one-character words between
    them are read again by the HMM, which finds names and other new words."""
    posseg = _model()
    tokenizer = posseg.dt.tokenizer
    route: dict[int, tuple[float, int]] = {}
    tokenizer.calc(block, tokenizer.get_DAG(block), route)
    out: list[Word] = []
    single = 0  # start of the pending run of one-character words
    x = 0
    while x < len(block):
        y = route[x][1] + 1
        if y - x > 1:
            out.extend(_singles(block, single, x, offset))
            out.append((block[x:y], _tag(block[x:y]), offset + x))
            single = y
        x = y
    out.extend(_singles(block, single, len(block), offset))
    return out


def _singles(block: str, start: int, end: int, offset: int) -> list[Word]:
    """A run of one-character dictionary words: one word, a known word read character by
    character, or Han stretches for the HMM and Latin/digit stretches as `eng` / `m`."""
    posseg = _model()
    run = block[start:end]
    if len(run) <= 1 or posseg.dt.tokenizer.FREQ.get(run):
        return [(c, _tag(c), offset + start + i) for i, c in enumerate(run)]
    out: list[Word] = []
    pos = offset + start
    for part in posseg.re_han_detail.split(run):
        if not part:
            continue
        if posseg.re_han_detail.match(part):
            out.extend(_han(part, pos))
        else:
            for piece in posseg.re_skip_detail.split(part):
                if piece:
                    flag = "m" if posseg.re_num.match(piece) else "eng"
                    if not posseg.re_eng.match(piece) and flag != "m":
                        flag = "x"
                    out.append((piece, flag, pos))
                    pos += len(piece)
            continue
        pos += len(part)
    return out


def _han(run: str, offset: int) -> list[Word]:
    """Characters the HMM has never seen are words of their own; the stretches between are
    decoded by the HMM."""
    known = _model().char_state_tab_P
    out: list[Word] = []
    begin = 0
    for i, char in enumerate(run):
        if char not in known:
            if i > begin:
                out.extend(_hmm(run, begin, i, offset))
            out.append((char, _tag(char), offset + i))
            begin = i + 1
    if begin < len(run):
        out.extend(_hmm(run, begin, len(run), offset))
    return out


def frequency(word: str) -> int:
    """jieba's dictionary count of a word (0 when it is not in the dictionary)."""
    return _model().dt.tokenizer.FREQ.get(word) or 0


def _tag(word: str) -> str:
    return _model().dt.word_tag_tab.get(word, "x")


def _hmm(text: str, start: int, end: int, offset: int) -> list[Word]:
    """New words in text[start:end] (every character known to the model), by beam Viterbi."""
    posseg = _model()
    states, start_p, trans_p, emit_p = (
        posseg.char_state_tab_P,
        posseg.start_P,
        posseg.trans_P,
        posseg.emit_P,
    )
    chars = text[start:end]
    # best[t][state] = (log probability, previous state)
    best = [_starts(chars[0], states, start_p, emit_p)]
    for t in range(1, len(chars)):
        c = chars[t]
        prev = sorted(best[-1].items(), key=lambda kv: kv[1][0], reverse=True)[:_BEAM]
        row: dict[Any, tuple[float, Any]] = {}
        for y in states[c]:
            options = [(p + trans_p[y0][y], y0) for y0, (p, _) in prev if y in trans_p[y0]]
            if options:
                score, back = max(options, key=lambda o: o[0])
                row[y] = (score + emit_p[y].get(c, _FLOOR), back)
        if not row:  # no known transition: a new word starts here
            row = _starts(c, states, start_p, emit_p)
        best.append(row)
    state = max(best[-1], key=lambda y: best[-1][y][0])
    path = [state]
    for t in range(len(chars) - 1, 0, -1):
        state = best[t][state][1] or max(best[t - 1], key=lambda y: best[t - 1][y][0])
        path.append(state)
    path.reverse()
    out: list[Word] = []
    begin = 0
    for i, (bmes, _) in enumerate(path):
        if i + 1 == len(path) or bmes in "ES" or path[i + 1][0] in "BS":
            out.append((chars[begin : i + 1], path[i][1], offset + start + begin))
            begin = i + 1
    return out


def _starts(char: str, states: Any, start_p: Any, emit_p: Any) -> dict[Any, tuple[float, Any]]:
    """The states a word can start in, scored as at the start of a sentence."""
    row = {y: (start_p[y] + emit_p[y].get(char, _FLOOR), None) for y in states[char]}
    opening = {y: v for y, v in row.items() if y[0] in "BS"}
    return opening or row

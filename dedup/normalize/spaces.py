"""Width and space variants: full-width letters/digits, ideographic and no-break spaces.

Chinese punctuation (，。：) keeps its width in the display text; only letters, digits and spaces
are folded here. Spaces inside a line are kept (single) because quotes lost as spaces show there.
"""

from __future__ import annotations

import re

_SPACES = "\u00a0\u1680\u202f\u205f\u3000\t\x0b\x0c" + "".join(map(chr, range(0x2000, 0x200B)))
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\ufffd"
_FULLWIDTH_ALNUM = [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
_TABLE: dict[int, str | None] = {
    **{ord(c): " " for c in _SPACES},
    **{ord(c): None for c in _INVISIBLE},
    **{cp: chr(cp - 0xFEE0) for cp in _FULLWIDTH_ALNUM},
    0x2028: "\n",
    0x2029: "\n",
    0x85: "\n",
}
_VARIANT = "[" + "".join(map(chr, _TABLE)) + "]"
# `x+` written `xx*`: a pattern that starts with a class, not a repeat, is scanned for that class's
# characters in C; `[…]+` is tried at every position (0.028 -> 0.007 ms per text of the bench).
_VARIANTS = re.compile(f"{_VARIANT}{_VARIANT}*")
_NEWLINES = re.compile(r"\r\n?")
_RUNS = re.compile("  +")


def fold_width_and_spaces(text: str) -> str:
    """Fold space variants to one space, full-width letters/digits to ASCII; one space per run."""
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    # translate() is a per-character dict lookup: apply it to the runs that need it only.
    text = _VARIANTS.sub(_fold_run, text)
    return tidy_spaces(text)


def tidy_spaces(text: str) -> str:
    """One space per run, no spaces at the ends of lines, no blank lines: what is left to do
    after a cut in text that fold_width_and_spaces made (a cut brings no new variant or carriage return)."""
    if "  " in text:
        text = _RUNS.sub(" ", text)
    # str methods beat a regex here: most spaces and line breaks are single and stay.
    return "\n".join(filter(None, (line.strip(" ") for line in text.split("\n"))))


def _fold_run(match: re.Match[str]) -> str:
    return match.group(0).translate(_TABLE)

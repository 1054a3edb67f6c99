"""PostgreSQL's regular expressions (advanced REs, option letters) compiled as Python's.

Its own module so that type I/O (sql.jsonpath's like_regex check) can compile a pattern
without importing the function library; it needs only sql.errors.
"""

from __future__ import annotations

import re

from sql.errors import InvalidParameterValue, InvalidRegularExpression, regex_error

_CLASSES = {
    "alpha": r"^\W\d_",
    "digit": r"\d",
    "alnum": r"^\W_",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r"\s",
    "punct": r"!-/:-@\[-`{-~",
    "xdigit": "0-9A-Fa-f",
    "word": r"\w",
    "blank": r" \t",
    "cntrl": r"\x00-\x1f\x7f",
    "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e",
}


def _translate_are(p: str) -> str:
    """PostgreSQL's advanced regular expression syntax in Python's: POSIX classes inside
    brackets and the word-boundary escapes \\m \\M \\y \\Y."""
    out: list[str] = []
    i, n = 0, len(p)
    while i < n:
        ch = p[i]
        if ch == "\\" and i + 1 < n:
            nxt = p[i + 1]
            out.append(
                {"m": r"\b(?=\w)", "M": r"\b(?<=\w)", "y": r"\b", "Y": r"\B"}.get(nxt, ch + nxt)
            )
            i += 2
            continue
        if ch == "[":
            j = i + 1
            part = ["["]
            if j < n and p[j] == "^":
                part.append("^")
                j += 1
            if j < n and p[j] == "]":
                part.append(r"\]")
                j += 1
            while j < n and p[j] != "]":
                if p.startswith("[:", j):
                    end = p.find(":]", j + 2)
                    cls = p[j + 2 : end] if end > 0 else ""
                    if cls not in _CLASSES:
                        raise InvalidRegularExpression(
                            "invalid regular expression: invalid character class"
                        )
                    spec = _CLASSES[cls]
                    # a negated class inside a bracket: only as the whole bracket
                    part.append(
                        spec
                        if not spec.startswith("^")
                        else {"alpha": "A-Za-z", "alnum": "0-9A-Za-z"}[cls]
                    )
                    j = end + 2
                    continue
                if p[j] == "\\" and j + 1 < n:
                    part.append(p[j : j + 2])
                    j += 2
                    continue
                if p[j] == "[":
                    part.append(r"\[")
                else:
                    part.append(p[j])
                j += 1
            out.append("".join(part))
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_FLAG_BITS = {
    "i": re.IGNORECASE,
    "c": 0,
    "x": re.VERBOSE,
    "n": re.MULTILINE,
    "s": 0,
    "p": 0,
    "w": re.MULTILINE,
    "t": 0,
    "q": 0,
    "b": 0,
    "e": 0,
    "m": re.MULTILINE,
}
_RX_CACHE: dict[tuple[str, str], re.Pattern[str]] = {}


def pg_regex(pattern: str, flags: str = "") -> re.Pattern[str]:
    """PostgreSQL's regular expression ``pattern`` under option letters ``flags`` (i, c, n,
    x, q ...; 'g' is the caller's): by default '.' matches a newline, as in PostgreSQL."""
    key = (pattern, flags)
    found = _RX_CACHE.get(key)
    if found is not None:
        return found
    bits = 0
    newline_sensitive = False
    for f in flags:
        if f not in _FLAG_BITS:
            raise InvalidParameterValue(f'invalid regular expression option: "{f}"')
        if f == "c":
            bits &= ~re.IGNORECASE
        bits |= _FLAG_BITS[f]
        newline_sensitive = newline_sensitive or f in "nmw"
    if not newline_sensitive:
        bits |= re.DOTALL
    source = re.escape(pattern) if "q" in flags else _translate_are(pattern)
    try:
        rx = re.compile(source, bits)
    except (re.error, OverflowError) as exc:
        raise regex_error(exc) from None
    if len(_RX_CACHE) > 256:
        _RX_CACHE.clear()
    _RX_CACHE[key] = rx
    return rx

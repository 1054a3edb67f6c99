"""Client encodings: the names ``client_encoding`` accepts (PostgreSQL's, with its aliases and
its loose spelling: case, dashes and underscores do not count), and the Python codec each
one's text is sent and read in.

The server encoding is always UTF8. SQL_ASCII means no conversion (UTF-8 bytes as they are);
every other encoding converts both ways, and a character the client's encoding lacks is
22P05 (``character with byte sequence ... has no equivalent in encoding ...``).
:data:`CLIENT_CODEC` is the codec of the connection whose messages are being handled.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from sql.errors import InvalidParameterValue, UntranslatableCharacter

# PostgreSQL's client encodings that Python has a codec for: name -> codec.
_CODECS = {
    "UTF8": "utf-8",
    "SQL_ASCII": "utf-8",
    "LATIN1": "latin-1",
    "LATIN2": "iso8859-2",
    "LATIN3": "iso8859-3",
    "LATIN4": "iso8859-4",
    "LATIN5": "iso8859-9",
    "LATIN6": "iso8859-10",
    "LATIN7": "iso8859-13",
    "LATIN8": "iso8859-14",
    "LATIN9": "iso8859-15",
    "LATIN10": "iso8859-16",
    "ISO_8859_5": "iso8859-5",
    "ISO_8859_6": "iso8859-6",
    "ISO_8859_7": "iso8859-7",
    "ISO_8859_8": "iso8859-8",
    "WIN866": "cp866",
    "WIN874": "cp874",
    "WIN1250": "cp1250",
    "WIN1251": "cp1251",
    "WIN1252": "cp1252",
    "WIN1253": "cp1253",
    "WIN1254": "cp1254",
    "WIN1255": "cp1255",
    "WIN1256": "cp1256",
    "WIN1257": "cp1257",
    "WIN1258": "cp1258",
    "KOI8R": "koi8-r",
    "KOI8U": "koi8-u",
    "EUC_JP": "euc_jp",
    "EUC_KR": "euc_kr",
    "EUC_CN": "gb2312",
    "SJIS": "shift_jis",
    "BIG5": "big5",
    "GBK": "gbk",
    "GB18030": "gb18030",
    "UHC": "cp949",
    "JOHAB": "johab",
}
# encnames.c's aliases, as its loose comparison sees them (no case, no '-' or '_').
_ALIASES = {
    **{re.sub(r"[-_]", "", n.lower()): n for n in _CODECS},
    "unicode": "UTF8",
    "iso88591": "LATIN1",
    "iso88592": "LATIN2",
    "iso88593": "LATIN3",
    "iso88594": "LATIN4",
    "iso88599": "LATIN5",
    "iso885910": "LATIN6",
    "iso885913": "LATIN7",
    "iso885914": "LATIN8",
    "iso885915": "LATIN9",
    "iso885916": "LATIN10",
    "iso88595": "ISO_8859_5",
    "iso88596": "ISO_8859_6",
    "iso88597": "ISO_8859_7",
    "iso88598": "ISO_8859_8",
    "shiftjis": "SJIS",
    "mskanji": "SJIS",
    "koi8": "KOI8R",
    "win": "WIN1251",
    "alt": "WIN866",
    "tcvn": "WIN1258",
    "abc": "WIN1258",
    "windows1252": "WIN1252",
    "windows1251": "WIN1251",
    "windows1250": "WIN1250",
}

CLIENT_CODEC: ContextVar[str] = ContextVar("CLIENT_CODEC", default="utf-8")


def setting(value: str) -> str:
    """client_encoding's stored form of ``value`` (PostgreSQL's name); 22023 if unknown."""
    text = value.strip().strip("'\"")
    name = _ALIASES.get(re.sub(r"[-_ ]", "", text.lower()))
    if name is None:
        raise InvalidParameterValue(f'invalid value for parameter "client_encoding": "{text}"')
    return name


def codec(name: str) -> str:
    """The Python codec of a client_encoding setting (a stored one: always known)."""
    return _CODECS.get(name, "utf-8")


def encode(text: str, codec_name: str) -> bytes:
    """``text`` in the client's encoding; 22P05 for a character it lacks."""
    try:
        return text.encode(codec_name)
    except UnicodeEncodeError as exc:
        if codec_name == "utf-8":  # a lone surrogate: no UTF-8 form exists
            raise UntranslatableCharacter(
                'character has no equivalent in encoding "UTF8"'
            ) from None  # fmt: skip
        chars = exc.object[exc.start : exc.end].encode("utf-8", "replace")
        bad = " ".join(f"0x{b:02x}" for b in chars)
        target = next((n for n, c in _CODECS.items() if c == codec_name), codec_name)
        raise UntranslatableCharacter(
            f'character with byte sequence {bad} in encoding "UTF8" has no equivalent in'
            f' encoding "{target}"'
        ) from None

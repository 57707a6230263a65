"""Template keys derived from subject and body.

When an event carries no ``template_id``, :class:`TemplateKeyer` derives a
stable key from the subject and the start of the body: personalised fill-ins
(names, order numbers, amounts, dates, times, postal addresses, URLs, e-mail
addresses, tracking codes, phone numbers) are masked, whitespace is collapsed,
and the masked text is hashed with BLAKE2b. Instances of one template therefore
share a key, and different messages get different keys.

The key is stable across processes, restarts and machines (it never uses
:func:`hash`); it is stored in sender state and written in alerts. The keyer is
stateless: memory does not grow with traffic.

>>> keyer = TemplateKeyer()
>>> a = keyer.key("Your order #12345 has shipped",
...               "Dear John Smith, your parcel 1Z999AA10123456784 left on August 24, 2017.")
>>> b = keyer.key("Your order #98-771 has shipped",
...               "Dear Marie, your parcel JJD0002249901 left on March 3, 2018.")
>>> a == b, a.startswith("t:"), len(a)
(True, True, 18)
>>> keyer.mask("Bonjour Chère Anne-Sophie, votre facture de 1 234,50 € du 24 août 2017")
'^onjour <*> votre facture de <*>'

How masking works (one pass of precompiled regular expressions each):

1. whitespace runs become one space;
2. one alternation replaces by a placeholder: URLs, e-mail addresses, every
   token that contains a digit (numbers with any separators, amounts, dates,
   times, codes, postal codes, phone numbers), currency signs, English and
   French month and weekday names, capitalised words that do not start a
   sentence (names after greetings and honorifics, cities, street names,
   capitalised codes), and a capitalised word that starts a sentence when a
   comma follows it ("Marie, votre commande ...");
3. runs of placeholders separated only by spaces or punctuation collapse into
   one ``<*>``, so "Jean Dupont" and "Marie", or "+33 6 12 34 56 78" and
   "0612345678", mask alike;
4. the result is case-folded.

Only the subject and the first ``body_chars`` characters of the *masked* body
enter the key, so a long URL or name does not shift the window, and bodies
truncated beyond the window do not matter.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["TemplateKeyer", "KEY_PREFIX"]

#: Every derived key starts with this, so it never collides with a sender's own
#: ``template_id`` that does not use the prefix.
KEY_PREFIX = "t:"

_PLACEHOLDER = b"<*>"
# BLAKE2b personalisation: bump the version when the masking changes, so keys
# computed by different algorithms never compare equal by accident.
_PERSON = b"mailflow.tpl.v1"

_SENT = b"\x00"
_DIGIT = 1  # marker byte for digits, '@', '$', currency signs, '://', 'www.'
_CAP = 2  # marker byte for ASCII capital letters


def _table(caps_marker: int) -> bytes:
    t = bytearray(range(256))
    for c in (0, 1, 2, 4):  # input control bytes must not pose as markers
        t[c] = 3
    for c in b"0123456789@$":
        t[c] = _DIGIT
    for c in range(ord("A"), ord("Z") + 1):
        t[c] = caps_marker
    return bytes(t)


_TABLE_KEEP = _table(_CAP)  # capitals starting a sentence are kept (as marker + rest of word)
_TABLE_ALL = _table(_DIGIT)  # every capitalised word is masked

_CURRENCY = (b"\xe2\x82\xac", b"\xc2\xa3")  # € £ (UTF-8)
# a token holding a digit (or a capital, in "all" mode), from that byte to the token's end
_FWD = re.compile(rb"\x01\S*")
# a capitalised word that does not start a sentence; a period after an honorific
# ("M.", "Mr.", "Mrs.", "Dr.", "Mme.") does not end a sentence
_CAPWORD = re.compile(
    rb"\x02(?:(?<=[^ .!?\x04] \x02)|(?<=\x02\. \x02)|(?<=\x02[a-z]\. \x02)|(?<=\x02[a-z][a-z]\. \x02))\S*"
)
# a capitalised word starting the text followed by a comma: "Marie, votre commande"
_LEAD = re.compile(rb"(?:\x02|\xc3[\x80-\x96\x98-\x9e])[^ ,]*(?=,)")
# non-ASCII capitals (À..Þ) starting a word: Émilie, Élodie, Ève
_CAPWORD_LATIN = re.compile(rb"\xc3[\x80-\x96\x98-\x9e](?<= \xc3.)\S*")
# street names after a house number, up to a comma or the next placeholder
_STREET_TYPES = (
    "rue|avenue|av.|bd|boulevard|chemin|allée|allee|impasse|place|quai|route|cours|square|passage"
    "|street|st.|road|rd.|ave.|lane|drive|way|court|terrace|crescent"
)
_DATE_WORDS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    "|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
    "|janvier|janv|février|fevrier|févr|fevr|mars|avril|avr|mai|juin|juillet|juil"
    "|août|aout|septembre|octobre|novembre|décembre|decembre|déc"
    "|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
)


def _trie_regex(words: set[bytes]) -> bytes:
    """A regex alternation factored by common prefixes: fails after one or two bytes."""
    if not words:
        return b""
    if b"" in words and len(words) == 1:
        return b""
    groups: dict[int, set[bytes]] = {}
    for w in words:
        if w:
            groups.setdefault(w[0], set()).add(w[1:])
    alts = [re.escape(bytes([c])) + _trie_regex(rest) for c, rest in sorted(groups.items())]
    if b"" in words:
        return b"(?:" + b"|".join(alts) + b")?"
    return b"(?:" + b"|".join(alts) + b")" if len(alts) > 1 else alts[0]


def _date_words(reverse: bool) -> bytes:
    out = set()
    for w in _DATE_WORDS.split("|"):
        for v in (w, w.capitalize()):
            b = v.encode()
            if 65 <= b[0] <= 90:  # ASCII capital: as translated
                b = b"\x02" + b[1:]
            out.add(b[::-1] if reverse else b)
    return _trie_regex(out)


# After a placeholder: a street name ("12 rue des Lilas", "221B Baker Street" is
# already masked) up to a comma or the next placeholder, or a month or weekday
# name ("24 août 2017"), with what sticks to it ("août." "juin,").
_AFTER = re.compile(
    rb"\x00 (?:" + _trie_regex({w.encode() for w in _STREET_TYPES.split("|")}) + rb")(?: [^ ,\x00\x04]+){0,4}?(?=,| \x00| \x04|$)"
)
# month and weekday names anywhere but at the very start ("Facture – juillet", "24 août")
_DATES = re.compile(rb" (?:" + _date_words(False) + rb")(?![a-z\x80-\xff])\S*")
_NAME_PARTICLES = ("van", "von", "der", "den", "da", "di", "del", "della", "dos", "bin", "ben", "al")
# On the REVERSED text: extend a placeholder to the start of its token (prefixes such
# as "#", "ORD-", "n°", "+", an e-mail's local part, a URL's scheme) and over month and
# weekday names written before a number ("lundi 28", "August 24" starting a sentence)
# and over name particles ("van der Berg").
_REV = re.compile(
    rb"\x00\S*(?: (?:" + _date_words(True) + rb"|" + _trie_regex({w.encode()[::-1] for w in _NAME_PARTICLES}) + rb")(?![^ ]))*"
)
# name particles between two placeholders ("Anne van der Berg", "Jean de La Fontaine")
_PARTICLES = rb"(?: (?:van|von|der|den|de|du|des|da|di|del|della|dos|la|le|bin|ben|al))*"
_SEPS = rb"(?:[ ,.;:/()'+#*-]|\xe2\x80[\x93\x94\x99]|\xc2\xb0)*"
_MIN_LINE_WORDS = 4
_SHOW = {1: "#", 2: "^", 0: "<*>"}  # markers left in mask() output (rare)
_RUN = re.compile(rb"\x00(?:(?:" + _SEPS + _PARTICLES + rb" ?)\x00)*")


def _long_line(line: bytes) -> bool:
    """A line holding a fill-in is kept when it has enough words of its own."""
    return sum(1 for w in line.split() if len(w) > 2 and w != _PLACEHOLDER) >= _MIN_LINE_WORDS


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _mask_bytes(text: str, keep_sentence_starts: bool, cut: bool = False) -> bytes:
    """Masked UTF-8 bytes of ``text`` (see the module docstring)."""
    b = text.encode("utf-8", "surrogatepass").translate(_TABLE_KEEP if keep_sentence_starts else _TABLE_ALL)
    b = b.replace(b"://", b"\x01").replace(b"www.", b"\x01")
    for sign in _CURRENCY:
        b = b.replace(sign, b"\x01")
    b = b" ".join(b.replace(b"\n", b" \x04 ").split())
    if keep_sentence_starts:
        m = _LEAD.match(b)
        if m is not None:
            b = b"\x00" + b[m.end() :]
        b = _FWD.sub(_SENT, _CAPWORD.sub(_SENT, b))
    else:
        b = _FWD.sub(_SENT, b)
    if b"\xc3" in b:
        b = _CAPWORD_LATIN.sub(_SENT, b)
    b = _AFTER.sub(_SENT, _DATES.sub(b" \x00", b))
    b = _REV.sub(_SENT, b[::-1])[::-1]
    b = _RUN.sub(_PLACEHOLDER, b)
    if b"\x04" in b:  # drop short lines holding a fill-in: item lists, address blocks, signatures
        lines = b.split(b"\x04")
        last = lines.pop() if cut else b""  # a line cut short is kept whole: same result wherever the cut falls
        b = b" ".join([w for line in lines if b"<*>" not in line or _long_line(line) for w in line.split()] + last.split())
    return b

class TemplateKeyer:
    """Derive a template key from a message's subject and body.

    Parameters
    ----------
    body_chars
        How many bytes of the *masked* body (UTF-8) enter the key, after the
        masked subject. Longer is more discriminating and slower.
    seed
        Mixed into the hash; keys made with different seeds never match. Keep
        the default unless keys must not be comparable across deployments.
    raw_margin
        How many raw body characters beyond ``body_chars`` are masked before the
        masked body is cut; when masking shrinks the text so much that the
        window is not full (long URLs, dropped lines), the raw window doubles
        until it is, or the whole body is masked.
    max_subject_chars
        Subjects are cut to this many raw characters before masking.
    keep_sentence_starts
        When true (the default), a capitalised word that starts the text or a
        sentence is kept (unless a comma follows it at the start: "Marie, ...");
        when false every capitalised word is masked.
    """

    __slots__ = ("body_chars", "seed", "raw_margin", "max_subject_chars", "keep_sentence_starts", "_seed_key")

    def __init__(
        self,
        body_chars: int = 300,
        seed: int = 0,
        raw_margin: int = 300,
        max_subject_chars: int = 250,
        keep_sentence_starts: bool = True,
    ) -> None:
        if int(body_chars) < 0 or int(raw_margin) < 0 or int(max_subject_chars) < 0:
            raise ValueError("body_chars, raw_margin and max_subject_chars must be >= 0")
        self.body_chars = int(body_chars)
        self.seed = int(seed)
        self.raw_margin = int(raw_margin)
        self.max_subject_chars = int(max_subject_chars)
        self.keep_sentence_starts = bool(keep_sentence_starts)
        self._seed_key = str(self.seed).encode("ascii")[:64]

    def __repr__(self) -> str:
        return (
            f"TemplateKeyer(body_chars={self.body_chars}, seed={self.seed}, raw_margin={self.raw_margin}, "
            f"max_subject_chars={self.max_subject_chars}, keep_sentence_starts={self.keep_sentence_starts})"
        )

    def mask(self, text: str | None) -> str:
        """The masked, whitespace-collapsed text of all of ``text``.

        Fill-ins become ``<*>``; a capital letter that survives (it starts a
        sentence) shows as ``^``.

        >>> TemplateKeyer().mask("Hi Bob, call +1 (555) 010-2030 or see https://x.io/t?id=9")
        '^i <*> call <*> or see <*>'
        """
        b = _mask_bytes(_as_text(text), self.keep_sentence_starts)
        return b.decode("utf-8", "replace").translate(_SHOW)

    def _masked_body(self, body: str) -> bytes:
        n = self.body_chars
        if n == 0 or not body:
            return b""
        limit = n + self.raw_margin
        keep = self.keep_sentence_starts
        while len(body) > limit:
            cut = body.rfind(" ", n, limit)  # do not split a token if avoidable
            masked = _mask_bytes(body[: cut if cut > 0 else limit], keep, True)
            if len(masked) >= n:
                return masked[:n]
            limit *= 2  # masking and dropped lines shrank the window below n: widen it
        masked = _mask_bytes(body, keep)
        return masked[:n]

    def key(self, subject: str | None, body: str | None) -> str:
        """``"t:"`` followed by 16 hex characters; deterministic; never raises.

        >>> k = TemplateKeyer()
        >>> k.key("Facture n°2017-0042", "Bonjour M. Durand, ...") == k.key("Facture n°88", "Bonjour Mme Petit, ...")
        True
        >>> k.key(None, None)  # doctest: +ELLIPSIS
        't:...'
        """
        try:
            subj = _as_text(subject)[: self.max_subject_chars]
            data = _mask_bytes(subj, self.keep_sentence_starts) + b"\x1f" + self._masked_body(_as_text(body))
        except Exception:  # pragma: no cover - defensive: key() must never raise
            data = repr((subject, body)).encode("utf-8", "backslashreplace")
        h = hashlib.blake2b(data, digest_size=8, key=self._seed_key, person=_PERSON)
        return KEY_PREFIX + h.hexdigest()

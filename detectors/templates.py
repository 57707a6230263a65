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

How masking works, over the UTF-8 bytes (each step is a byte translation,
``bytes.replace`` or one pass of a precompiled regular expression):

1. a translation table marks digits, ``@`` and ``$`` with one marker byte (so
   are ``://``, ``www.``, ``€`` and ``£``) and every ASCII capital with another
   (with the digit marker when ``keep_sentence_starts`` is false); whitespace
   runs become one space, and a run of line breaks becomes a word of its own;
2. fill-ins become placeholders: a capitalised word that starts the text when
   a comma follows it ("Marie, votre commande ..."); then, in one pass over the
   word starts, capitalised words that do not start a sentence (names after
   greetings and honorifics, cities, street names, capitalised codes), words
   starting with a non-ASCII capital (Élodie) and English and French month and
   weekday names; then every token that holds a digit marker, from that byte
   on (numbers with any separators, amounts, dates, times, codes, postal codes,
   phone numbers, URLs, e-mail addresses); then a street name after a
   placeholder ("12 rue des Lilas");
3. one pass over the *reversed* text grows each placeholder to the start of its
   token (prefixes such as ``#``, ``ORD-``, ``n°``, ``+``) and over month and
   weekday names and name particles written before it ("lundi 28", "van der
   Berg"), and turns each run of placeholders separated only by spaces,
   punctuation or name particles into one ``<*>``, so "Jean Dupont" and
   "Marie", or "+33 6 12 34 56 78" and "0612345678", mask alike;
4. a line holding a fill-in goes when it has fewer than four words of three or
   more bytes of its own (item lists, address blocks, signatures); the lines
   left are joined by spaces.

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
    for c in b"\t\r\x0b\x0c":  # ASCII whitespace other than a line break: a space
        t[c] = 32
    for c in b"0123456789@$":
        t[c] = _DIGIT
    for c in range(ord("A"), ord("Z") + 1):
        t[c] = caps_marker
    return bytes(t)


_TABLE_KEEP = _table(_CAP)  # capitals starting a sentence are kept (as marker + rest of word)
_TABLE_ALL = _table(_DIGIT)  # every capitalised word is masked

_CURRENCY = (b"\xe2\x82\xac", b"\xc2\xa3")  # € £ (UTF-8)
# a run of line breaks (and the spaces among them) becomes one word of its own; one
# marker for several line breaks changes nothing (an empty line holds no word, and
# every later pattern stops at the first marker alike)
_LINE_BREAKS = re.compile(rb"\n[ \n]*")
_SPACES = re.compile(rb"  +")
# a token holding a digit (or a capital, in "all" mode), from that byte to the token's end
_FWD = re.compile(rb"\x01\S*")
# a capitalised word starting the text followed by a comma: "Marie, votre commande"
_LEAD = re.compile(rb"(?:\x02|\xc3[\x80-\x96\x98-\x9e])[^ ,]*(?=,)")
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


def _atomic(pattern: bytes, name: bytes) -> bytes:
    """``pattern`` matched atomically: as much as its greedy first try takes, never given back.

    The same as the atomic group ``(?>pattern)`` (or possessive quantifiers), written
    as a lookahead that captures followed by a back-reference to the capture, which
    every supported Python runs alike: possessive quantifiers and atomic groups do
    not parse before 3.11 and matched differently in early 3.11 patch releases.
    ``name`` must be unique within the compiled expression.
    """
    return b"(?=(?P<" + name + b">" + pattern + b"))(?P=" + name + b")"


def _date_words(reverse: bool) -> set[bytes]:
    """Month and weekday names, lower-case and capitalised (as translated), as bytes."""
    out = set()
    for w in _DATE_WORDS.split("|"):
        for v in (w, w.capitalize()):
            b = v.encode()
            if 65 <= b[0] <= 90:  # ASCII capital: as translated
                b = b"\x02" + b[1:]
            out.add(b[::-1] if reverse else b)
    return out


# One pass over the word starts (the space before a word; the first word of the
# text is never a match), each alternative up to the word's end: a capitalised word
# that does not start a sentence -- a period after an honorific ("M.", "Mr.",
# "Mrs.", "Dr.", "Mme.") does not end a sentence; a word starting with a non-ASCII
# capital (À..Þ: Émilie, Élodie, Ève); a month or weekday name anywhere but at the
# very start ("Facture – juillet", "24 août"), with what sticks to it ("août."
# "juin,"). It runs before _FWD: whole words are replaced either way, and the
# lookbehinds must see the text before any digit is masked.
_WORDS = re.compile(
    rb" (?:\x02(?:(?<=[^ .!?\x04] \x02)|(?<=\x02\. \x02)|(?<=\x02[a-z]\. \x02)|(?<=\x02[a-z][a-z]\. \x02))\S*"
    rb"|\xc3[\x80-\x96\x98-\x9e]\S*"
    rb"|" + _trie_regex(_date_words(False)) + rb"(?![a-z\x80-\xff])\S*)"
)
# After a placeholder: a street name ("12 rue des Lilas", "221B Baker Street" is
# already masked) up to a comma or the next placeholder.
_AFTER = re.compile(
    rb"\x00 (?:" + _trie_regex({w.encode() for w in _STREET_TYPES.split("|")}) + rb")(?: [^ ,\x00\x04]+){0,4}?(?=,| \x00| \x04|$)"
)
# name particles absorbed before a placeholder ("van der Berg")
_NAME_PARTICLES = ("van", "von", "der", "den", "da", "di", "del", "della", "dos", "bin", "ben", "al")
# name particles between two placeholders ("Anne van der Berg", "Jean de La Fontaine")
_RUN_PARTICLES = _NAME_PARTICLES + ("de", "du", "des", "la", "le")
# separators between two placeholders: ASCII punctuation, and – — ’ °
_SEP_BYTES = b" ,.;:/()'+#*-"
_SEP_SEQS = tuple(c.encode() for c in "\u2013\u2014\u2019\u00b0")
# On the REVERSED text, one pass (step 3 of the module docstring):
#   _GROW  a placeholder grows to the start of its token (prefixes such as "#",
#          "ORD-", "n°", "+", an e-mail's local part, a URL's scheme) and over the
#          month and weekday names and name particles written before it ("lundi
#          28", "August 24" starting a sentence, "van der Berg"), taking as much as it can
#          and never giving it back (see below);
#   _LINK  what may separate two placeholders of one run, read backwards: an
#          optional space, name particles each followed by a space, separators.
#          The lookahead (only bytes a link can hold, then a placeholder) does
#          not change what matches: it only fails fast where a run ends.
# A run of placeholders becomes one (reversed) "<*>". Links only ever join
# neighbouring placeholders, so reading the runs backwards finds the same runs.
# _GROW's greedy quantifiers take as much as they can and are never given back:
# in _REV_RUN nothing after a _GROW can fail (the repetition around it may always
# stop), so the engine never backtracks into one: it matches as the atomic group
# (as if the placeholder had grown in a pass of its own), on every Python.
_GROW = (
    rb"\x00\S*(?: "
    + _trie_regex(_date_words(True) | {w.encode()[::-1] for w in _NAME_PARTICLES})
    + rb"(?![^ ]))*"
)

_LINK_BYTES = set(_SEP_BYTES + b"".join(_SEP_SEQS) + "".join(_RUN_PARTICLES).encode())
_LINK = (
    rb"(?=[" + b"".join(re.escape(bytes([c])) for c in sorted(_LINK_BYTES)) + rb"]*\x00)"
    + rb" ?(?:(?:" + b"|".join(w.encode()[::-1] for w in _RUN_PARTICLES) + rb") )*"
    + rb"(?:[" + re.escape(_SEP_BYTES) + rb"]|" + b"|".join(s[::-1] for s in _SEP_SEQS) + rb")*"
)
assert 0 not in _LINK_BYTES  # so the lookahead's greedy run never gives back a \x00
_REV_RUN = re.compile(_GROW + rb"(?:" + _LINK + _GROW + rb")*")
_MIN_LINE_WORDS = 4
_SHOW = {1: "#", 2: "^", 0: "<*>"}  # markers left in mask() output (rare)
# Step 4 reads " \x04" + each line: the text is single-spaced by then and a line
# break is a word of its own, so every line reads " word word ..." (or is empty).
# A line holding a placeholder goes when it has fewer than _MIN_LINE_WORDS words
# of 3 or more bytes other than a bare placeholder. A cut text keeps its last line.
_SHORT_WORD = rb" (?:<\*>|[^ \x04]{1,2})(?![^ ])"
_LONG_WORD = rb" (?!<\*>(?![^ ]))[^ \x04]{3,}"
_SHORT_LINE = rb" \x04(?=[^\x04]*<\*>)" + _atomic(
    rb"(?:" + _SHORT_WORD + rb")*(?:" + _LONG_WORD + rb"(?:" + _SHORT_WORD + rb")*)"
    + b"{0,%d}" % (_MIN_LINE_WORDS - 1),
    b"words",
)
_DROP = re.compile(_SHORT_LINE + rb"(?= \x04|\Z)")
_DROP_CUT = re.compile(_SHORT_LINE + rb"(?= \x04)")


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
    if not text.isascii():
        for sign in _CURRENCY:
            b = b.replace(sign, b"\x01")
    # every whitespace byte is a space or a line break by now (translation)
    b = _LINE_BREAKS.sub(b" \x04 ", b)
    if b"  " in b:
        b = _SPACES.sub(b" ", b)
    b = b.strip(b" ")
    if keep_sentence_starts:
        m = _LEAD.match(b)
        if m is not None:
            b = b"\x00" + b[m.end() :]
    b = _AFTER.sub(_SENT, _FWD.sub(_SENT, _WORDS.sub(b" \x00", b)))
    b = _REV_RUN.sub(_PLACEHOLDER[::-1], b[::-1])[::-1]
    if b"\x04" in b:  # drop short lines holding a fill-in: item lists, address blocks, signatures
        b = b" \x04 " + b
        if b"<*>" in b:
            b = (_DROP_CUT if cut else _DROP).sub(b"", b)
        b = b.replace(b" \x04", b"")[1:]
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

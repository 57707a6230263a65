"""Sensitive-data request detector.

Recognises outbound text that *asks the recipient to provide* sensitive data
(an identity document, a passport, a driving licence, a national id or social
security number, bank account details, a payment card number, a password or
one-time code), in English and French, with partial German and Spanish
coverage. Mere mentions are not requests: "we will never ask for your
password", "reset your password", "your card ending in 1234 was charged",
"pay to our IBAN", ...

The recogniser is a set of precompiled regular expressions run over a
normalised copy of the text (NFKD, reduced to ASCII so accents and zero-width
characters disappear, lower-cased), computed once per text:

1. a word-set test against anchor words ("passport", "iban", "code", ...),
   run on the words of the encoded text before the normalised copy is built:
   text without any is done (the common, fast case);
2. around each anchor occurrence, the noun regex of its category(ies) finds
   the sensitive noun phrase ("copy of your id", "numero de carte", ...);
3. for each noun, a window of the same sentence (up to 90 characters before,
   70 after; sentences end at . ! ? ; or a blank line) is inspected:

   - a request cue must precede it ("send", "please provide", "reply to this
     email with", "merci de nous faire parvenir", ...) or a passive cue follow
     it ("is required", "est requis", "a nous transmettre", ...);
   - guards veto it: negation ("never", "do not", "jamais", "ne ... pas"),
     warnings about other people's requests ("emails asking for your
     password"), the sender's own data ("our IBAN", "notre RIB", "my
     passport"), a value right after the noun ("IBAN: FR76 ..."), and
     category-specific mentions (password reset / new password, the code sent
     *to* the user, "card ending in", "passport appointment", payment to an
     account).

This module is pure: no I/O, no faust, kafka or prometheus imports.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Mapping

from river import base

__all__ = ["CATEGORIES", "find_requests", "normalise", "SensitiveRequest"]

#: Categories of sensitive data, in reporting order.
CATEGORIES = (
    "id_document",
    "passport",
    "drivers_licence",
    "national_id",
    "bank_account",
    "card_number",
    "password",
)

_CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORIES)}

# ---------------------------------------------------------------------------
# normalisation

# Non-ASCII characters that matter once accents are gone: apostrophes, dashes,
# quotes and spaces (NFKD already maps no-break spaces and ligatures).
_ASCII_FOLD = (
    ("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u2013", "-"), ("\u2014", " - "),
    ("\u2010", "-"), ("\u2011", "-"), ("\u00ab", " "), ("\u00bb", " "), ("\u201c", " "),
    ("\u201d", " "), ("\u2022", " "), ("\u20ac", " "), ("\u2026", "."), ("\u00b0", " "),
    ("\u00df", "ss"), ("\u1e9e", "ss"), ("\u0131", "i"),
)


def _normalise_unicode(text: str) -> str:
    """:func:`normalise` of any text, the general way (NFKD of the whole text)."""
    t = unicodedata.normalize("NFKD", text)
    for a, b in _ASCII_FOLD:
        if a in t:
            t = t.replace(a, b)
    # ASCII lower() equals casefold() on ASCII; the few letters casefold
    # expands (sharp s) are folded above.
    return t.encode("ascii", "ignore").decode("ascii").lower()


# The normalisation above works character by character: NFKD decomposes each
# character on its own and then only reorders runs of combining marks, which are
# dropped, while every character that survives (ASCII, the _ASCII_FOLD sources)
# is a starter that never moves. So replacing characters by their normalised
# form beforehand changes nothing, and Latin-1 text (Western European accents)
# is normalised by one encode and one bytes.translate with a per-byte table.


def _latin1_tables() -> tuple[bytes, bytes, tuple[tuple[int, bytes, bytes], ...]]:
    """Per-byte normalisation of Latin-1 text, derived from :func:`_normalise_unicode`.

    Returns
    -------
    table : bytes
        ``bytes.translate`` table: each byte to its one-character normalised form.
    delete : bytes
        Bytes whose normalised form is empty (symbols, control characters).
    expand : tuple of (int, bytes, bytes)
        ``(byte, bytes((byte,)), normalised)`` for the bytes whose normalised form
        is longer than one character (sharp s, vulgar fractions).
    """
    table = bytearray(range(256))
    for c in range(ord("A"), ord("Z") + 1):
        table[c] = c + 32
    delete = bytearray()
    expand = []
    for c in range(128, 256):
        out = _normalise_unicode(chr(c)).encode("ascii")
        if len(out) == 1:
            table[c] = out[0]
        elif not out:
            delete.append(c)
        else:
            expand.append((c, bytes((c,)), out))
    return bytes(table), bytes(delete), tuple(expand)


_LATIN1_TABLE, _LATIN1_DELETE, _LATIN1_EXPAND = _latin1_tables()

# Characters above U+00FF common in Western European mail, with their normalised
# form (others are normalised when met).
_WIDE_FOLD = {
    c: _normalise_unicode(c)
    for c in "\u20ac\u2019\u2018\u201c\u201d\u2013\u2014\u2026\u2022\u201a\u201e\u2039\u203a"
    "\u2122\u0153\u0152\u202f\u2009\u200b"
}


def _latin1(text: str) -> bytes | None:
    """``text`` as Latin-1 bytes with the same normalisation, or None.

    Characters above U+00FF and the expanding Latin-1 characters are replaced by
    their normalised forms, so that ``normalise(text)`` is
    ``_latin1(text).translate(_LATIN1_TABLE, _LATIN1_DELETE)``. None, to leave
    the text to NFKD, when it holds runs of such characters (another script) or
    many different ones.
    """
    for _ in range(8):
        try:
            b = text.encode("latin-1")
            break
        except UnicodeEncodeError as exc:
            if exc.end - exc.start > 3:
                return None
            c = text[exc.start]
            out = _WIDE_FOLD.get(c)
            text = text.replace(c, _normalise_unicode(c) if out is None else out)
    else:
        return None
    for c, old, new in _LATIN1_EXPAND:
        if c in b:
            b = b.replace(old, new)
    return b


def normalise(text: str) -> str:
    """Casefold, decompose (NFKD) and reduce to ASCII.

    Combining marks (accents) and zero-width characters are dropped, typographic
    apostrophes, dashes and quotes become their ASCII forms or spaces, and any
    other non-ASCII character is dropped (the recogniser only reads Latin-script
    languages).

    >>> normalise("Pièce d’IDENTITÉ")
    "piece d'identite"
    >>> normalise("Führerschein, Straße")
    'fuhrerschein, strasse'
    """
    if text.isascii():
        return text.lower()
    b = _latin1(text) if isinstance(text, str) else None
    if b is None:
        return _normalise_unicode(text)
    return b.translate(_LATIN1_TABLE, _LATIN1_DELETE).decode("ascii")


# ---------------------------------------------------------------------------
# sensitive nouns (matched on normalised text)

_AP = "['\u2019`]"  # apostrophe, straight or typographic
_D = rf"d(?:{_AP}\s*|\s+)"  # French elided "de" before a vowel: d'identite, d' identite, d identite

_NOUNS = {
    "id_document": [
        r"(?:national\s+)?(?:id|identity|identification)\s+(?:cards?|documents?|papers)",
        r"identity\s+documents?",
        r"proof\s+of\s+(?:identity|id\b)",
        r"photo\s+(?:id|identification)\b",
        r"picture\s+id\b",
        r"government[- ]?issued\s+(?:photo\s+)?(?:id|identification)\b",
        r"(?:copy|photo|picture|scan|image|selfie)\s+(?:of|with)\s+(?:your|an?|the)\s+(?:valid\s+)?(?:id|identification)\b",
        r"(?:your|a)\s+valid\s+(?:id|identification)\b",
        r"your\s+id\b(?!\s*(?:number|no\b|#|:|\d|is\b|was\b|will\b|has\b))",
        # FR
        rf"(?:pieces?|cartes?|documents?|justificatifs?|preuves?|titres?)\s+{_D}identite",
        r"\bcni\b",
        r"titre\s+de\s+sejour",
        # DE
        r"(?:personal|lichtbild)?ausweis(?:es|kopie|dokumente?)?\b",
        r"identitatsnachweis",
        # ES
        r"documento\s+(?:nacional\s+)?de\s+identidad",
        r"\bdni\b",
        r"cedula(?:\s+de\s+(?:identidad|ciudadania))?",
    ],
    "passport": [
        r"passe?ports?\b",
        r"reisepass",
        r"pasaportes?\b",
    ],
    "drivers_licence": [
        rf"drivers?{_AP}?s?\s*licen[cs]es?",
        r"driving\s+(?:licen[cs]es?|permit)",
        r"permis\s+de\s+conduire",
        r"fu(?:e)?hrerschein",
        r"(?:licencia|carnet|permiso)\s+de\s+(?:conducir|manejo)",
    ],
    "national_id": [
        r"social\s+security\s+(?:numbers?|no\b|card|#)",
        r"ssn\b",
        r"social\s+insurance\s+numbers?",
        r"national\s+insurance\s+(?:numbers?|no\b)",
        r"national\s+(?:id|identity|identification)\b(?:\s+(?:numbers?|no\b|#))?",
        r"(?:tax|taxpayer)\s+(?:id|identification)\s+(?:numbers?|no\b)",
        # FR
        r"numeros?\s+(?:de\s+)?(?:securite\s+sociale|secu\b|carte\s+vitale)",
        r"securite\s+sociale",
        r"carte\s+vitale",
        r"nir\b",
        r"numero\s+fiscal",
        # DE
        r"sozialversicherungsnummer",
        r"steuer[- ]?(?:id|identifikationsnummer)\b",
        # ES
        r"numero\s+de\s+(?:la\s+)?seguridad\s+social",
    ],
    "bank_account": [
        r"iban\b",
        r"rib\b",
        rf"releve\s+{_D}identite\s+bancaire",
        r"bank(?:ing)?\s+(?:account\s+)?(?:details|information|info|coordinates|numbers?|credentials|login)",
        r"bank\s+account\s+numbers?",
        r"(?:account|acct)\s+(?:and|&)\s+routing\s+numbers?",
        r"routing\s+(?:and\s+account\s+)?numbers?",
        r"sort\s+code",
        r"direct\s+deposit\s+(?:details|information|info)",
        # FR
        r"coordonnees\s+bancaires",
        r"(?:donnees|informations|references)\s+bancaires",
        r"numero\s+de\s+compte\s+bancaire",
        # DE
        r"bankverbindung",
        r"bankdaten",
        r"kontonummer",
        r"kontodaten",
        # ES
        r"datos\s+bancarios",
        r"(?:numero\s+de\s+)?cuenta\s+bancaria",
        r"numero\s+de\s+cuenta",
    ],
    "card_number": [
        r"(?:credit|debit|payment|bank|gift)\s+card\s+(?:numbers?|details|information|info|data|no\b)",
        r"credit\s+card",
        r"card\s+(?:numbers?|details|no\b)",
        r"cvv2?\b",
        r"cvc2?\b",
        r"card\s+(?:verification|security)\s+(?:code|value|number)",
        r"security\s+code\s+(?:on|at|from)\s+the\s+back",
        # FR
        rf"numeros?\s+de\s+(?:votre\s+|ta\s+|la\s+)?carte(?!\s+{_D}identite|\s+vitale)",
        r"cryptogramme",
        r"(?:donnees|informations|coordonnees)\s+de\s+(?:votre\s+|ta\s+|la\s+)?carte(?!\s+{_D}identite|\s+vitale)",
        r"carte\s+(?:bancaire|de\s+credit|de\s+paiement)",
        # DE
        r"(?:kredit)?karten(?:nummer|daten|informationen)",
        r"(?:karten)?prufnummer",
        # ES
        r"numero\s+de\s+(?:su\s+|tu\s+|la\s+)?tarjeta",
        r"datos\s+de\s+(?:su\s+|tu\s+|la\s+)?tarjeta",
        r"tarjeta\s+de\s+(?:credito|debito)",
    ],
    "password": [
        r"pass(?:word|code|phrase)s?\b",
        r"pwd\b",
        r"pin(?:\s+(?:code|number))?\b",
        r"one[- ]?time\s+(?:pass(?:word|code)|code|pin)",
        r"otp\b",
        r"(?:verification|security|authentication|confirmation|2fa|sms|text)\s+codes?",
        r"(?:\d|four|six|eight)[- ]digit\s+code",
        r"code\s+(?:we|that\s+we|you)\s+(?:just\s+)?(?:sent|texted|received|got)",
        r"log[- ]?in\s+(?:credentials|details|information)",
        r"(?<!banking )(?<!bank )credentials\b",
        # FR
        r"mots?\s+de\s+passe",
        rf"codes?\s+(?:pin|secret|confidentiel|de\s+verification|de\s+confirmation|de\s+securite|{_D}acces|recu|sms|a\s+\d\s+chiffres|unique)",
        r"identifiants(?:\s+de\s+connexion)?",
        # DE
        r"passwort",
        r"kennwort",
        r"zugangsdaten",
        r"tan\b",
        r"(?:bestatigungs|sicherheits)code",
        # ES
        r"contrasenas?",
        r"clave\s+(?:de\s+acceso|secreta|bancaria|personal)",
        r"codigo\s+(?:de\s+verificacion|de\s+seguridad|pin|recibido)",
    ],
}

#: One regex per category, tried only in a small window around an anchor word.
_NOUN_RES = {cat: re.compile(r"\b(?:" + "|".join(pats) + ")") for cat, pats in _NOUNS.items()}

#: Anchor words (after punctuation is turned into spaces): every noun pattern of
#: the category contains at least one of them as a whole word. A text without
#: any anchor word cannot contain a request, which is the fast path.
_ANCHORS = {
    "id_document": """id identity identification identite cni sejour ausweis ausweises ausweiskopie
        ausweisdokument ausweisdokumente personalausweis personalausweises lichtbildausweis
        identitatsnachweis identidad dni cedula""",
    "passport": "passport passports passeport passeports reisepass reisepasses reisepasse pasaporte pasaportes",
    "drivers_licence": """license licence licenses licences permit conduire fuhrerschein fuhrerscheins
        fuehrerschein fuehrerscheins conducir manejo""",
    "national_id": """social ssn insurance national tax taxpayer securite secu vitale nir fiscal
        sozialversicherungsnummer steuer steuerid steueridentifikationsnummer seguridad""",
    "bank_account": """iban rib bancaire bancaires bank banking routing sort deposit bankverbindung
        bankdaten kontonummer kontodaten bancarios bancaria cuenta""",
    "card_number": """card credit cvv cvv2 cvc cvc2 carte cryptogramme kartennummer kreditkartennummer
        kartendaten kreditkartendaten karteninformationen kreditkarteninformationen prufnummer
        kartenprufnummer tarjeta security""",
    "password": """password passwords passcode passcodes passphrase passphrases pwd pin otp code codes
        credentials passe identifiants passwort kennwort zugangsdaten tan bestatigungscode
        sicherheitscode contrasena contrasenas clave codigo""",
}
_ANCHOR_CATS: dict[str, tuple[str, ...]] = {}
for _cat, _words in _ANCHORS.items():
    for _w in _words.split():
        _ANCHOR_CATS[_w] = _ANCHOR_CATS.get(_w, ()) + (_cat,)
_ANCHOR_WORDS = frozenset(_ANCHOR_CATS)
del _cat, _words, _w

# Everything that is not a letter or digit separates words for the anchor test
# (normalised text is ASCII, so a bytes table is enough and fast).
_SEPARATORS = bytes(c if chr(c).isalnum() and c < 128 else 32 for c in range(256))
_ANCHOR_BYTES = frozenset(w.encode("ascii") for w in _ANCHOR_CATS)

# Pre-check of find_requests: the words of normalise(text) with their digits
# deleted, taken straight from ASCII text (lower-casing as it separates) or from
# the Latin-1 bytes of _latin1() (normalising as it separates). Deleting digits
# maps every anchor word to an anchor word (cvv2 -> cvv), so a text whose
# pre-check words hold no anchor word holds none; numbers vanish, which leaves
# fewer words to hash.
_DIGITS = b"0123456789"
_LOWER_SEPARATORS = bytes(_SEPARATORS[c] | 32 if 65 <= c <= 90 else _SEPARATORS[c] for c in range(256))
_LATIN1_SEPARATORS = bytes(_SEPARATORS[c] for c in _LATIN1_TABLE)
_LATIN1_DELETE_DIGITS = _LATIN1_DELETE + bytes(c for c in range(256) if _LATIN1_TABLE[c] in _DIGITS)
_WIN_BEFORE = 40
_WIN_AFTER = 45

# ---------------------------------------------------------------------------
# request cues

# Active cues, searched in the part of the sentence before the noun.
_CUE_BEFORE = re.compile(
    r"\b(?:"
    # EN
    r"(?:re)?send(?:ing)?\b(?!\s+you\b)"
    r"|provid(?:e|ing)\b(?!\s+you\b)"
    r"|repl(?:y|ying)\b|respond(?:ing)?\s+with|attach(?:ing)?\b|upload(?:ing)?\b"
    r"|shar(?:e|ing)\b(?!\s+with\s+you)|confirm\b|verify\b|validate\b|enter\b|submit(?:ting)?\b"
    r"|include\b|forward\b(?!\s+you\b)|fill\s+(?:in|out)\b|input\b|furnish\b|supply\b"
    r"|e-?mail\s+(?:us|me|it|them|back)\b|(?:mail|text|fax)\s+(?:us|me)\b|whatsapp\s+(?:us|me)\b"
    r"|type\s+(?:in\s+)?(?:your|the)\b|give\s+(?:us|me)\b|tell\s+(?:us|me)\b|let\s+(?:us|me)\s+(?:have|know)\b"
    rf"|(?:we|i)(?:{_AP}ll|{_AP}d)?(?:\s+(?:will|would|also|still|urgently|just|now|then|kindly))*\s+(?:need|require|request)\b"
    r"|need\s+(?:you|a\s+copy|a\s+photo|a\s+scan)\b|requesting\b|ask(?:ing)?\s+(?:you\s+)?for\b|ask\s+you\s+to\b"
    r"|take\s+a\s+(?:photo|picture)\b|snap\b"
    # FR
    r"|envoy(?:ez|iez|es|ons)\b|(?<!vous )(?:r?envoyer)\b|r?envoie[sz]?\b|envoi\b"
    r"|fournisse[zs]\b|(?<!vous )fournir\b|fournis\b"
    r"|joindre\b|joigne[zs]?\b|joins\b"
    r"|transmett(?:ez|e)\b|(?<!vous )transmettre\b|transmets\b"
    r"|repond(?:re|ez|ant)\b|confirm(?:er|ez)\b|verifi(?:er|ez)\b|saisi(?:r|ssez)\b|entr(?:er|ez)\b"
    r"|renseign(?:er|ez)\b|(?<!vous )communiquer\b|communiquez\b|indiqu(?:er|ez)\b"
    r"|(?:faire|fassiez)\s+parvenir\b|veuillez\b|merci\s+de\s+(?!votre|vos|notre|nos)"
    r"|(?:avons|aurions|aurons)\s+besoin\b|(?:il\s+)?nous\s+faut\b|(?:nous\s+)?(?:vous\s+)?demandons\b"
    r"|telecharg(?:er|ez)\b|depos(?:er|ez)\b|partag(?:er|ez)\b|adress(?:er|ez)\b|donn(?:er|ez)\b"
    # DE
    r"|senden\b|schicken\b|ubermitteln\b|ubersenden\b|zusenden\b|zuschicken\b|bestatigen\b"
    r"|verifizieren\b|eingeben\b|geben\s+sie\b|hochladen\b|laden\s+sie\b|teilen\s+sie\b|benotigen\b"
    r"|brauchen\b|antworten\s+sie\b|zukommen\b|nennen\s+sie\b|angeben\b|beifugen\b|fugen\s+sie\b"
    # ES
    r"|envi(?:e|en|ar|enos|eme|arnos)\b|mand(?:e|ar|enos)\b|proporcion(?:e|ar|enos)\b|facilit(?:e|ar|enos)\b"
    r"|adjunt(?:e|ar)\b|confirm(?:e|ar)\b|verifi(?:que|car)\b|ingres(?:e|ar)\b|introduzca\b|introducir\b"
    r"|necesitamos\b|requerimos\b|respond(?:a|er)\b|compart(?:a|ir)\b|sub(?:a|ir)\b|indique\b|escriba\b"
    r")"
)

# Passive cues, searched in the part of the sentence after the noun.
_CUE_AFTER = re.compile(
    r"\b(?:"
    r"(?:is|are)\s+(?:also\s+|now\s+|still\s+)?(?:required|needed|necessary|mandatory)\b"
    r"|(?:must|should|needs?\s+to|has\s+to|have\s+to|to)\s+be\s+(?:sent|provided|submitted|uploaded|attached|included|e-?mailed|verified|confirmed)\b"
    r"|(?:est|sont)\s+(?:egalement\s+)?(?:requis|requises?|necessaires?|obligatoires?|exigee?s?|demandee?s?)\b"
    r"|a\s+(?:nous\s+)?(?:envoyer|transmettre|fournir|retourner|joindre|faire\s+parvenir|communiquer)\b"
    r"|erforderlich\b|benotigt\b|notwendig\b|hochladen\b|senden\b|schicken\b|ubermitteln\b|zusenden\b"
    r"|zukommen\s+lassen\b|bestatigen\b|angeben\b|eingeben\b|mitteilen\b"
    r"|es\s+(?:necesari[oa]|obligatori[oa]|requerid[oa])\b|(?:son\s+)?(?:necesari[oa]s|obligatori[oa]s|requerid[oa]s)\b"
    r")"
)

# Every alternative of a cue regex contains one of these words (after
# punctuation is turned into spaces); a window without any of them cannot
# match, which spares the regex scan in the common no-cue case.
_CUE_BEFORE_WORDS = frozenset(b"""
    send sending resend resending provide providing reply replying respond responding attach
    attaching upload uploading share sharing confirm verify validate enter submit submitting
    include forward fill input furnish supply email e mail text fax whatsapp type give tell let
    need require request requesting ask asking take snap
    envoyez envoyiez envoyes envoyons envoyer renvoyer envoie envoies envoiez renvoie renvoies
    renvoiez envoi fournissez fournisses fournir fournis joindre joignez joignes joigne joins
    transmettez transmette transmettre transmets repondre repondez repondant confirmer confirmez
    verifier verifiez saisir saisissez entrer entrez renseigner renseignez communiquer communiquez
    indiquer indiquez parvenir veuillez merci besoin faut demandons telecharger telechargez
    deposer deposez partager partagez adresser adressez donner donnez
    senden schicken ubermitteln ubersenden zusenden zuschicken bestatigen verifizieren eingeben
    geben hochladen laden teilen benotigen brauchen antworten zukommen nennen angeben beifugen fugen
    envie envien enviar envienos envieme enviarnos mande mandar mandenos proporcione proporcionar
    proporcionenos facilite facilitar facilitenos adjunte adjuntar confirme confirmar verifique
    verificar ingrese ingresar introduzca introducir necesitamos requerimos responda responder
    comparta compartir suba subir indique escriba
""".split())
_CUE_AFTER_WORDS = frozenset(b"""
    required needed necessary mandatory sent provided submitted uploaded attached included
    emailed mailed verified confirmed
    requis requise requises necessaire necessaires obligatoire obligatoires exige exigee exiges
    exigees demande demandee demandes demandees envoyer transmettre fournir retourner joindre
    parvenir communiquer
    erforderlich benotigt notwendig hochladen senden schicken ubermitteln zusenden zukommen
    bestatigen angeben eingeben mitteilen
    necesario necesaria necesarios necesarias obligatorio obligatoria obligatorios obligatorias
    requerido requerida requeridos requeridas
""".split())


def _words(s: str) -> list[bytes]:
    """Words of normalised (ASCII) text, punctuation removed."""
    return s.encode("ascii").translate(_SEPARATORS).split()


def _has_cue(pre: str, post: str) -> bool:
    """Whether ``pre`` holds an active request cue or ``post`` a passive one."""
    return _cue_in(pre, post, not _CUE_BEFORE_WORDS.isdisjoint(_words(pre)),
                   not _CUE_AFTER_WORDS.isdisjoint(_words(post)))


def _cue_in(pre: str, post: str, word_before: bool, word_after: bool) -> bool:
    """:func:`_has_cue` once its word-set tests are known (the regexes run only
    where a cue word is present)."""
    if word_before and _CUE_BEFORE.search(pre):
        return True
    return word_after and _CUE_AFTER.search(post) is not None


# ---------------------------------------------------------------------------
# guards

# Negation / prohibition / warnings about other people's requests: single words
# (a set test) and phrases (a regex, run only when one of its trigger words is present).
_NEGATION_WORDS = frozenset(b"""
    never nobody beware suspicious scam scams scammer scammers fraudster fraudsters criminal
    criminals phishing phishers phisher
    jamais aucun aucune mefiez mefier mefiance mefie escroc escrocs escroquerie fraudeur fraudeurs
    arnaque arnaques arnaqueur arnaqueurs cybercriminel cybercriminels hameconnage
    nie niemals nicht kein keine keinem keinen keiner keines betruger
    nunca jamas estafador estafadores
""".split())
_NEGATION_TRIGGERS = frozenset(b"""
    no do does will would should must shall may don doesn won wouldn shouldn mustn not be
    email emails e mail mails message messages call calls someone anyone people sms text texts
    website websites site sites ne n pas plus courriel courriels appel appels quelqu personne
""".split())
_NEGATION = re.compile(
    # the look-ahead lists the first letters of the alternatives: a cheap early exit
    r"\b(?=[nbdwsmecptaq])(?:"
    r"no\s+(?:one|need|longer)\b"
    rf"|(?:do|does|will|would|should|must|shall|may)\s*(?:not\b|n{_AP}t\b)(?!\s+(?:forget|hesitate))"
    rf"|(?:don|doesn|won|wouldn|shouldn|mustn){_AP}t\b(?!\s+(?:forget|hesitate))"
    r"|not\s+(?:be\s+)?(?:required|needed|necessary|ask|request)"
    r"|be\s+(?:wary|careful|cautious)"
    r"|(?:e-?mails?|messages?|calls?|someone|anyone|people|sms|texts?|websites?|sites?)\s+(?:that\s+|who\s+|which\s+)?(?:ask|request)(?:s|ing)?"
    # FR
    rf"|ne\s+(?!pas\s+(?:oubli|hesit))|n{_AP}\s*(?!oubli|hesit)"
    r"|pas\s+(?:besoin|necessaire)|plus\s+besoin"
    r"|(?:courriels?|e-?mails?|messages?|appels?|sms|quelqu.un|personne)\s+(?:qui\s+)?(?:vous\s+)?(?:demand|sollicit|reclam)"
    # ES
    r"|no\s+(?:le\s+|te\s+|les\s+|nos\s+)?(?:pedi|solicit|compart|envi|revel|proporcion|facilit|es\s+necesari)"
    r")"
)


def _negated(window: str) -> bool:
    words = _words(window)
    return _negation_word(words) or _negation_phrase(window, words)


def _negation_word(words: list[bytes]) -> bool:
    """The word part of :func:`_negated` (``words``: the window's :func:`_words`)."""
    return not _NEGATION_WORDS.isdisjoint(words)


def _negation_phrase(window: str, words: list[bytes]) -> bool:
    """The phrase part of :func:`_negated`: the regex, run only when a trigger word is present."""
    return not _NEGATION_TRIGGERS.isdisjoint(words) and _NEGATION.search(window) is not None


# The sender's own data right before the noun ("our IBAN", "notre RIB", "my passport").
_OWN_BEFORE = re.compile(
    r"\b(?:our|my|notre|nos|mon|ma|mes|unser(?:e[mnrs]?)?|mein(?:e[mnrs]?)?|nuestr[oa]s?|mis?)"
    r"\s+(?:[\w'\u2019-]+\s+){0,2}$"
)

# A value written right after the noun ("IBAN: FR76 ...", "code is 123456").
_VALUE_AFTER = re.compile(r"\s*(?:is\b|est\b|:|=|#)?\s*(?:[a-z]{2}\d{2}|\d{3}|\d[\d \-]{3})")

_MENTION_GUARDS = {
    "password": re.compile(
        r"\b(?:"
        r"reset|forgot(?:ten)?|new\s+(?:password|pin|passcode)|chang(?:e|ing)|choose|create|set\s+(?:up\s+)?(?:a|your)|update"
        r"|temporary|strong|keep\s+(?:[\w'\u2019]+\s+){0,3}(?:safe|secret|private|confidential)|sign\s+in\s+with|log\s+in\s+with"
        r"|reinitialis|oubli|nouveau|changer|changez|modifi|cre(?:er|ez)|defini|temporaire|conserve|garde"
        r"|zurucksetzen|vergessen|neue[sn]?\b|andern|restablecer|olvid|nuev[oa]|cambi"
        r")"
    ),
    # Codes the sender gives the reader ("enter the code below", "your code is").
    "_code": re.compile(
        r"\b(?:below|above|following|this\s+code|code\s+is|expire|ci-dessous|ci-dessus|suivant|ce\s+code"
        r"|votre\s+code\s+est|folgende|diese[nr]?\s+code|siguiente|este\s+codigo)"
    ),
    "card_number": re.compile(
        r"\b(?:ending\s+(?:in|with)|last\s+(?:4|four)|expires?\b|expired|was\s+charged|has\s+been\s+charged"
        r"|se\s+terminant\s+par|finissant\s+par|(?:4|quatre)\s+derniers|a\s+ete\s+debite|expire"
        r"|endet\s+auf|terminada\s+en)"
    ),
    "bank_account": re.compile(
        r"\b(?:(?:pay|paid|payment|transfer|wire|remit|remittance)\s+(?:\w+\s+){0,3}?(?:to|into|on)\s+(?:the\s+)?(?:following\s+)?(?:iban|account|bank)"
        r"|following\s+(?:iban|bank|account)|(?:iban|account|bank\s+details)\s+(?:below|above)"
        r"|virement\s+(?:\w+\s+){0,3}?sur|(?:iban|rib|compte)\s+(?:ci-dessous|suivant)|ci-joint"
        r"|uberweisung\s+auf|transferencia\s+a)"
    ),
    "_document": re.compile(
        r"\b(?:appointment|application\s+status|office|rendez-vous|rdv|termin)\b"
    ),
}
_MENTION_GUARDS["passport"] = _MENTION_GUARDS["_document"]
_MENTION_GUARDS["id_document"] = _MENTION_GUARDS["_document"]
_MENTION_GUARDS["drivers_licence"] = _MENTION_GUARDS["_document"]

_CODE_NOUN = re.compile(r"code|otp|pin|tan|codigo")

# Sentence ends: [.!?;] then a space or the end, or a blank line ("\n\s*\n").
# Written with one character class first so that the scan skips to candidates.
_BOUNDARY = re.compile(r"[.!?;\n](?:(?<=\n)\s*\n|(?<!\n)(?:\s|$))")
_BEFORE = 90
_AFTER = 70


def _is_request(t: str, s: int, e: int, cat: str) -> bool:
    """Whether the noun at ``t[s:e]`` (category ``cat``) is requested from the reader."""
    pre = t[max(0, s - _BEFORE) : s]
    cut = None
    for cut in _BOUNDARY.finditer(pre):
        pass
    if cut is not None:
        pre = pre[cut.end() :]
    post = t[e : e + _AFTER]
    cut = _BOUNDARY.search(post)
    if cut is not None:
        post = post[: cut.start()]
    # A request needs a cue (_has_cue) and no veto. The tests are pure, so their
    # order does not change the result: the cue-word test first (most mentions
    # carry no cue word), then the vetoes that are cheap or most often hit, the
    # big cue regexes late and the rarely vetoing value / own-data tests last.
    word_before = not _CUE_BEFORE_WORDS.isdisjoint(_words(pre))
    word_after = not _CUE_AFTER_WORDS.isdisjoint(_words(post))
    if not (word_before or word_after):
        return False
    window = f"{pre}{t[s:e]}{post}"
    words = _words(window)
    if _negation_word(words):
        return False
    guard = _MENTION_GUARDS.get(cat)
    if guard is not None and guard.search(window):
        return False
    if not _cue_in(pre, post, word_before, word_after):
        return False
    if _negation_phrase(window, words):
        return False
    if cat == "password" and _CODE_NOUN.search(t, s, e) and _MENTION_GUARDS["_code"].search(window):
        return False
    return not (_VALUE_AFTER.match(post) or _OWN_BEFORE.search(pre[-30:]))


def find_requests(text: str) -> frozenset[str]:
    """Categories of sensitive data that ``text`` asks its reader to provide.

    Pure function; case- and accent-insensitive. Mentions that are not
    requests (negated, password resets, the sender's own bank details, a card
    "ending in", an appointment) are not reported.

    Parameters
    ----------
    text
        Any text (subject and/or body). ``None`` or empty gives the empty set.

    Returns
    -------
    frozenset of str
        A subset of :data:`CATEGORIES`.

    Examples
    --------
    >>> sorted(find_requests("To verify your order, please reply to this email "
    ...                      "with a photo of your driver's license or passport."))
    ['drivers_licence', 'passport']
    >>> sorted(find_requests("Merci de nous transmettre votre RIB et une copie de votre pièce d'identité."))
    ['bank_account', 'id_document']
    >>> find_requests("We will never ask for your password.")
    frozenset()
    """
    if not text or not isinstance(text, str):
        return frozenset()
    # Most texts hold no anchor word: find that out before building the
    # normalised text (see _DIGITS).
    if text.isascii():
        if _ANCHOR_BYTES.isdisjoint(text.encode("ascii").translate(_LOWER_SEPARATORS, _DIGITS).split()):
            return frozenset()
        t = text.lower()
    else:
        b = _latin1(text)
        if b is None:
            t = _normalise_unicode(text)
            if _ANCHOR_BYTES.isdisjoint(t.encode("ascii").translate(_SEPARATORS, _DIGITS).split()):
                return frozenset()
        else:
            if _ANCHOR_BYTES.isdisjoint(b.translate(_LATIN1_SEPARATORS, _LATIN1_DELETE_DIGITS).split()):
                return frozenset()
            t = b.translate(_LATIN1_TABLE, _LATIN1_DELETE).decode("ascii")
    hits = _ANCHOR_BYTES.intersection(_words(t))
    found: set[str] = set()
    checked: dict[tuple[int, int, str], bool] = {}  # (start, end, category) of a noun -> requested
    n = len(t)
    for bword in hits:
        word = bword.decode("ascii")
        cats = [c for c in _ANCHOR_CATS[word] if c not in found]
        if not cats:
            continue
        size = len(word)
        i = t.find(word)
        while i >= 0:
            j = i + size
            if (i == 0 or not t[i - 1].isalnum()) and (j == n or not t[j].isalnum()):
                ws, we = max(0, i - _WIN_BEFORE), j + _WIN_AFTER
                for cat in cats:
                    if cat in found:
                        continue
                    # Matches come in order and do not overlap: the first one
                    # ending after i is the only one that can cover the anchor.
                    for m in _NOUN_RES[cat].finditer(t, ws, we):
                        s, e = m.span()
                        if e <= i:
                            continue
                        if s <= i:
                            key = (s, e, cat)
                            hit = checked.get(key)
                            if hit is None:
                                hit = checked[key] = _is_request(t, s, e, cat)
                            if hit:
                                found.add(cat)
                        break
                if all(c in found for c in cats):
                    break
            i = t.find(word, j)
    return frozenset(found)


# ---------------------------------------------------------------------------
# River detector


def _amount(v: Any) -> float:
    """Non-negative finite-or-inf float from a loosely typed field; 0 when unusable."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return 0.0
    v = float(v)
    if math.isnan(v) or v <= 0:
        return 0.0
    return v


def _flag(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.strip().lower() in ("automated", "true", "yes", "1")
    if isinstance(v, (int, float)):
        return not math.isnan(v) and v > 0
    return False


def _saturate(v: float, ref: float) -> float:
    return 1.0 if math.isinf(v) else v / (v + ref)


class SensitiveRequest(base.AnomalyDetector):
    """Scores outbound messages that ask the recipient for sensitive data.

    Rule-based: :func:`find_requests` is run on the subject and body. A message
    that requests nothing scores 0. A request scores ``base``; being sent by an
    automated system, at volume, and to many unrelated external recipients
    raises the score towards 1::

        score = 1 - (1 - base) * (1 - automated_boost * automated)
                               * (1 - volume / (volume + volume_ref))
                               * (1 - unrelated / (unrelated + fanout_ref))

    Score range: [0, 1) -- 0 when nothing is requested, otherwise in
    ``[base, 1)``; non-decreasing in ``automated``, ``volume`` and
    ``unrelated``. Warm-up: none (nothing is learned; the first message is
    scored like any other).

    Parameters
    ----------
    automated_boost
        Share of the remaining distance to 1 closed when the message is
        automated, in [0, 1).
    volume_ref
        Messages of the template at which volume closes half of the remaining
        distance to 1; > 0.
    fanout_ref
        Unrelated external recipients at which fan-out closes half of the
        remaining distance to 1; > 0.
    base
        Score of a request on its own, in (0, 1).
    seed
        Unused (the detector is deterministic); kept for River's conventions.

    Examples
    --------
    >>> det = SensitiveRequest()
    >>> x = {"subject": "Order 1234",
    ...      "body": "To verify your order, please reply to this email with a "
    ...              "photo of your driver's license or passport."}
    >>> det.score_one(x)
    0.5
    >>> det.learn_one(x)  # learns nothing
    >>> round(det.score_one({**x, "automated": True, "volume": 50, "unrelated": 5}), 3)
    0.925
    >>> det.score_one({"body": "Your card ending in 1234 was charged."})
    0.0
    >>> det.explain(x)
    {'categories': ['passport', 'drivers_licence'], 'score': 0.5, 'automated': False, 'volume': 0.0, 'unrelated': 0}
    """

    def __init__(
        self,
        automated_boost: float = 0.4,
        volume_ref: float = 50.0,
        fanout_ref: float = 5.0,
        base: float = 0.5,
        seed: int | None = None,
    ) -> None:
        if not 0.0 <= automated_boost < 1.0:
            raise ValueError(f"automated_boost must be in [0, 1), got {automated_boost!r}")
        if not volume_ref > 0:
            raise ValueError(f"volume_ref must be > 0, got {volume_ref!r}")
        if not fanout_ref > 0:
            raise ValueError(f"fanout_ref must be > 0, got {fanout_ref!r}")
        if not 0.0 < base < 1.0:
            raise ValueError(f"base must be in (0, 1), got {base!r}")
        self.automated_boost = automated_boost
        self.volume_ref = volume_ref
        self.fanout_ref = fanout_ref
        self.base = base
        self.seed = seed

    @classmethod
    def _unit_test_params(cls):
        yield {}
        yield {"automated_boost": 0.2, "volume_ref": 10.0, "fanout_ref": 2.0}

    @staticmethod
    def categories(x: Mapping[str, Any]) -> frozenset[str]:
        """Categories requested by the message ``x`` (its ``subject`` and ``body``)."""
        if not isinstance(x, Mapping):
            return frozenset()
        subject = x.get("subject")
        body = x.get("body")
        parts = [p for p in (subject, body) if isinstance(p, str) and p]
        if not parts:
            return frozenset()
        # A paragraph break keeps subject and body in different sentences.
        return find_requests("\n\n".join(parts))

    def learn_one(self, x: Mapping[str, Any]) -> None:
        """Do nothing: the detector is rule-based and learns nothing."""
        return None

    def _score(self, x: Mapping[str, Any], cats: frozenset[str]) -> tuple[float, bool, float, int]:
        automated = _flag(x.get("automated")) if isinstance(x, Mapping) else False
        volume = _amount(x.get("volume")) if isinstance(x, Mapping) else 0.0
        unrelated = _amount(x.get("unrelated")) if isinstance(x, Mapping) else 0.0
        if not cats:
            return 0.0, automated, volume, int(min(unrelated, 2**31))
        rest = (1.0 - self.base) * (1.0 - (self.automated_boost if automated else 0.0))
        rest *= 1.0 - _saturate(volume, self.volume_ref)
        rest *= 1.0 - _saturate(unrelated, self.fanout_ref)
        score = min(1.0, max(0.0, 1.0 - rest))
        return score, automated, volume, int(min(unrelated, 2**31))

    def score_one(self, x: Mapping[str, Any]) -> float:
        """Score in [0, 1]: 0 when nothing sensitive is requested.

        Parameters
        ----------
        x
            ``subject`` and ``body`` (str, may be missing or None), optional
            ``automated`` (bool), ``volume`` (messages of this template, a
            number) and ``unrelated`` (unrelated external recipients, int).
            Missing or malformed fields count as absent.
        """
        return self._score(x, self.categories(x))[0]

    def explain(self, x: Mapping[str, Any]) -> dict[str, Any]:
        """Evidence for an alert: categories requested and the figures behind the score.

        Never contains any of the message's text.
        """
        cats = self.categories(x)
        score, automated, volume, unrelated = self._score(x, cats)
        return {
            "categories": sorted(cats, key=_CATEGORY_ORDER.__getitem__),
            "score": score,
            "automated": automated,
            "volume": volume,
            "unrelated": unrelated,
        }

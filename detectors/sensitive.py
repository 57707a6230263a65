"""Sensitive-data request detector.

Recognises outbound text that *asks the recipient to provide* sensitive data
(an identity document, a passport, a driving licence, a national id, tax or
social security number, bank account details, a payment card number, a
password, PIN or one-time code) by mail or at a link, in English, French,
German, Spanish, Italian, Dutch and Portuguese. Mere mentions are not
requests: "we will never ask for your password", "reset your password", "your
card ending in 1234 was charged", "pay to our IBAN", "Ihr Code lautet
123456", "thank you for sending your passport copy", ...

Secure channel rule: a text that has the customer hand the data over in the
company's app, portal, online banking or customer area *instead of* by mail
("upload it in the app, do not send it by email", "laden Sie ... in der App
hoch, bitte nicht per E-Mail", "introdúzcalo en el área privada en lugar de
enviarlo por correo") asks for nothing by mail: it gives no category. Mail
requests stay requests ("reply to this email with a copy of your passport"),
and so do credentials typed in at a link, even when the text names the online
banking (phishing: "confirm your online-banking PIN at this link").
:func:`classify` reports the secure-channel pointer and a link next to the
categories.

The recogniser is a set of precompiled regular expressions run over a
normalised copy of the text (NFKD, reduced to ASCII so accents and zero-width
characters disappear, lower-cased), computed once per text:

1. a word-set test against anchor words ("passport", "iban", "code",
   "personalausweis", "rekeningnummer", ...; German and Dutch compounds are
   listed as word families), run on the words of the encoded text before the
   normalised copy is built: text without any is done (the common, fast case).
   Common words that anchor a noun ("account" in "account number", "compte"
   in "numero de compte") are pair anchors: scanned only in a text that has
   another anchor word, and only where their noun can be;
2. around each anchor occurrence, the noun regex of its category(ies) finds
   the sensitive noun phrase ("copy of your id", "numero de carte", "codice
   fiscale", ...), including colloquial, abbreviated, regional and misspelt
   names ("Perso", "Führerausweis", "registro de conducir", "NAS", "RUT",
   "PPS number", "TFN", "BSB", "CF", "acc no", "pasport"; _NOUNS_COLLOQUIAL);
3. for each noun, a window of the same sentence (up to 110 characters before,
   90 after; sentences end at . ! ? ; or a blank line, not at "a.u.b." nor at
   a list number "1. ") is
   inspected:

   - a request cue must precede it ("send", "please provide", "reply to this
     email with", "merci de nous faire parvenir", "senden Sie uns",
     "envíenos", "ci invii", "stuur ons", "envie-nos", ...), or a passive cue
     follow it ("is required", "est requis", "ist erforderlich", "es
     necesario", "è necessario", "is vereist", "é necessário", verb-final
     "zusenden", "opsturen", enclitic "mandármela", ...); a passive cue asks
     for a document only in a form that travels by mail (a copy, a scan, a
     number: "a valid passport is required to board" is no request). The
     noun may come first, with a colon and then an active cue ("Your IBAN:
     please reply with it", "La patente: mandaci una foto"), or be followed by
     "and send it" ("scan your ID and send it to ...", "en stuur ...", "e
     mandaci ..."); a mail address as the destination is a cue ("bitte an
     hr@firma.de: 1. ..."). Without a cue, "we have not received your IBAN"
     counts as one, and so does a next sentence that asks for "it" ("Your tax
     ID is missing. Please send it to us.") unless it names a sensitive noun
     of its own;
     An elliptic request of short mail is a cue too: a politeness marker
     right before the noun and a mail channel right after it ("bitte die
     Kreditkartendaten per Mail", "graag uw IBAN per mail").
     A pronoun request after the noun in the same sentence is an after cue
     ("comme l'administration exige votre numéro fiscal, merci de nous le
     communiquer", "nos lo indicara", "please send it to us"), and so are Dutch
     "te" infinitives ("aan te leveren", "in te voeren") and "send that code
     back"; credentials entered "by entering" / "en saisissant" /
     "introduciendo" / "durch Eingabe" at a link are a link cue; a follow-up
     sentence may ask for "both" / "los dos" / "beide" or use a fused plural
     pronoun ("adjúntalos", "allegale");
   - guards veto it: negation ("never", "do not", "jamais", "ne ... pas",
     "niemals", "nunca", "non ... mai", "nooit", "não"; not "vergeet niet" /
     "vergessen Sie nicht"; a negation before a
     contrast ", but" / ", mais" / ", aber" / ", pero" / ", ma" / ", maar" /
     ", mas", or inside a conditional, purpose or reason clause ("pour ne pas
     perdre vos messages,", "damit keine Daten verloren gehen,", "da kein
     Mandat mehr besteht,", "omdat er geen incasso meer loopt,") belongs to the
     other clause: "we'll never ask for your PIN, but
     please reply with your IBAN" asks for the IBAN; so does the negation of a
     consequence clause after the noun: "..., otherwise / sonst / anders /
     sinon / altrimenti / without it we cannot ..."; informal "dont" counts,
     German colloquial "noch ne Kopie" does not), warnings about other
     people's requests ("emails asking for your password"), the sender's own
     data ("our IBAN", "notre RIB", "unsere IBAN", "il nostro IBAN"), a value
     right after the noun ("IBAN: FR76 ...", "Code lautet 123456"), thanks for
     data already sent, the reader's own need ("Sie benötigen Ihren Ausweis"),
     category-specific mentions (password reset / new password, the code sent
     *to* the user, "card ending in", an appointment, payment to an account,
     a card's security code counted as card data), and the secure channel rule.

4. a learned scorer corrects the rules per category (see "learned request
   scorer" below): logistic regression over the words around each sensitive
   noun, trained by scripts/train_sensitive.py on the labelled dev sets and
   the unit-test sentences, stored in detectors/data/sensitive_model.json. A
   category the rules find is dropped when the scorer gives it p <= 0.15; one
   they miss is added when p > 0.7, unless a text-level veto of the rules
   (sender's own data, a value, thanks, the secure channel) or a negation
   veto rejected it (thresholds chosen on leave-one-author-set-out folds).

This module is pure: no faust, kafka or prometheus imports; its only I/O is
reading the stored scorer once at import.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Mapping

from river import base

__all__ = ["CATEGORIES", "classify", "find_requests", "normalise", "request_scores", "SensitiveRequest"]

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


# Emoji and pictographs end a clause in chat ("Tikkie is nooit aangekomen 🙈 mail me je IBAN"):
# they become a paragraph break, so a negation before one does not reach the request after it.
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF][\uFE0F\u200D]*")


def _normalise_unicode(text: str) -> str:
    """:func:`normalise` of any text, the general way (NFKD of the whole text)."""
    t = unicodedata.normalize("NFKD", text)
    if _EMOJI.search(t) is not None:
        t = _EMOJI.sub(" \n\n", t)
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
    apostrophes, dashes and quotes become their ASCII forms or spaces, emoji a
    line break (they end a clause in chat), and any other non-ASCII character is
    dropped (the recogniser only reads Latin-script languages).

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
_DI = rf"(?:d{_AP}\s*|di\s+|de\s+)"  # Italian / Spanish / Portuguese "of": d'identita, di identita, de identidad


def _family(stems: str, endings: str = "") -> tuple[str, list[str]]:
    """A family of compound words (German, Dutch): every stem, bare or with one ending.

    Returns the regex matching exactly those words (ending at a word boundary)
    and the words themselves, which become anchor words of the category: the
    anchor test is a set lookup, so a family of any size costs nothing there.

    >>> _family("konto bank", "nummer daten")[0]
    '(?:konto|bank)(?:nummer|daten)?\\\\b'
    """
    s, e = stems.split(), endings.split()
    words = [a + b for a in s for b in [""] + e]
    rx = "(?:" + "|".join(s) + ")" + ("(?:" + "|".join(e) + ")?" if e else "") + r"\b"
    return rx, words


# Compound families: (stems, endings) per category. Their words are anchors.
_FAMILIES = {
    "id_document": [
        # DE
        ("ausweis personalausweis lichtbildausweis identitatsausweis",
         "es e kopie kopien dokument dokumente dokuments daten foto fotos scan bild vorderseite ruckseite"),
        ("identitatsnachweis identitatskarte identitatsdokument aufenthaltstitel aufenthaltserlaubnis "
         "ausweisdokument dienstausweis mitarbeiterausweis aufenthaltskarte aufenthaltsdokument",
         "es e en s"),
        # NL
        ("identiteitsbewijs identiteitskaart legitimatiebewijs verblijfsvergunning verblijfsdocument "
         "identiteitsdocument verblijfskaart vreemdelingendocument",
         "en s kopie"),
    ],
    "passport": [
        ("reisepass", "es e kopie nummer daten foto bild seite scan"),
        ("passkopie passnummer passfoto passdaten passangaben", ""),
        ("paspoort vreemdelingenpaspoort", "en nummer kopie gegevens foto pagina fotopagina scan"),
        ("kinderreisepass", "es e"),
    ],
    "drivers_licence": [
        ("fuhrerschein fuehrerschein fahrausweis", "s e es kopie nummer karte daten"),
        ("rijbewijs", "nummer kopie"),
    ],
    "national_id": [
        ("sozialversicherungsnummer rentenversicherungsnummer steueridentifikationsnummer steuernummer "
         "identifikationsnummer burgerservicenummer sofinummer rijksregisternummer ausweisnummer "
         "personalausweisnummer identiteitskaartnummer", "n"),
    ],
    "bank_account": [
        ("bankverbindung bankdaten kontonummer kontodaten kontoverbindung kontoinformationen kontoangaben "
         "bankangaben bankkontonummer bankkontodaten bankinformationen bankleitzahl", "en s"),
        ("rekeningnummer bankrekeningnummer bankgegevens rekeninggegevens bankrekening", "s"),
    ],
    "card_number": [
        ("kartennummer kreditkartennummer kartendaten kreditkartendaten karteninformationen "
         "kreditkarteninformationen kartenprufnummer prufnummer kartenprufziffer kreditkarte debitkarte "
         "sicherheitsnummer kartensicherheitsnummer prufziffer", "n"),
        ("kaartnummer creditcardnummer creditcardgegevens kaartgegevens pasnummer betaalpasnummer", "s"),
        ("bankpas betaalpas bankkaart betaalkaart", "nummer gegevens"),
    ],
    "password": [
        ("passwort kennwort zugangsdaten anmeldedaten logindaten einmalpasswort einmalcode bestatigungscode "
         "sicherheitscode verifizierungscode freigabecode aktivierungscode pincode smstan pushtan mtan phototan chiptan",
         "s e er es"),
        ("wachtwoord inloggegevens inlogcode verificatiecode beveiligingscode toegangscode bevestigingscode "
         "activatiecode smscode responscode", "en s"),
    ],
}

_NOUNS = {
    "id_document": [
        r"(?:national\s+)?(?:id|identity|identification)\s+(?:cards?|documents?|papers)",
        r"identity\s+documents?",
        r"proof\s+of\s+(?:identity|id\b)",
        r"photo\s+(?:id|identification)\b",
        r"picture\s+id\b",
        r"government[- ]?issued\s+(?:photo\s+)?(?:id|identification)\b",
        r"state\s+(?:issued\s+)?(?:photo\s+)?id\b",
        r"(?:copy|photo|picture|scan|image|selfie)\s+(?:of|with)\s+(?:your|an?|the)\s+(?:valid\s+)?(?:id|identification)\b",
        r"(?:your|a)\s+valid\s+(?:id|identification)\b",
        r"your\s+id\b(?!\s*(?:number|no\b|#|:|\d|is\b|was\b|will\b|has\b))",
        r"residen(?:ce|t|cy)\s+(?:permit|card)s?\b",
        # FR
        rf"(?:pieces?|cartes?|documents?|justificatifs?|preuves?|titres?)\s+{_D}identite",
        r"\bcni\b",
        r"titre\s+de\s+sejour",
        # DE
        r"id[- ]?karte\b",
        # ES / IT / PT
        rf"documentos?\s+(?:nacional\s+)?{_DI}identi(?:dade|dad|ta|ficacion|ficacao)",
        rf"documento\s+(?:{_DI}riconoscimento|identificativo|de\s+identificacion|valido)",
        r"(?:copia|foto|fotografia|escaneo|scansione|fotocopia|imagen|imagem|copie|kopie)\s+"
        r"(?:de\s+|del\s+|do\s+|da\s+|di\s+|van\s+|della\s+)?(?:su\s+|seu\s+|sua\s+|tu\s+|tuo\s+|suo\s+|vostro\s+"
        r"|uw\s+|je\s+|il\s+|o\s+|el\s+)?(?:documento(?!\s+(?:de|del|di|do|da|della|dello)\s+(?!identi|riconosc|viaje|viaggio))|id)\b",
        r"(?<!numero de )(?<!numero del )\bdni\b",
        r"cedula(?:\s+de\s+(?:identidad|ciudadania))?",
        r"(?:carne|carnet|tarjeta|cart(?:ao|oes)|carteira|bilhete)\s+de\s+(?:identidade|identidad|cidadao)",
        rf"cart[ae]\s+{_DI}identita",
        r"identificacion\s+oficial",
        r"(?:tarjeta|permiso|titulo|autorizacao)\s+de\s+residencia",
        r"permesso\s+di\s+soggiorno",
        r"\bcie\b",
        r"\brg\b",
        r"\bine\b",
        # NL
        r"legitimatie\b",
        r"id[- ]?kaart(?:en)?\b",
    ],
    "passport": [
        r"passe?ports?\b",
        r"pasaportes?\b",
        r"passaport[oie]s?\b",
        # DE: "Pass" only after a determiner (the English word is common)
        r"(?:ihre[nms]?|deine[nms]?|eine[nms]?|des|den|dem|der)\s+pass(?:es)?\b",
    ],
    "drivers_licence": [
        rf"drivers?{_AP}?s?\s*licen[cs]es?",
        r"driving\s+(?:licen[cs]es?|permit)",
        r"permis\s+de\s+conduire",
        rf"permis\b(?!\s+(?:de\s+|{_D})(?!conduire))",
        r"(?:licencia|carnet|carne|permiso|licenca|carta)\s+de\s+(?:conducir|manejo|conduccion|conducao)",
        r"patente(?:\s+di\s+guida)?\b",
        r"carteira\s+(?:de\s+)?(?:motorista|habilitacao|nacional\s+de\s+habilitacao)",
        r"\bcnh\b",
    ],
    "national_id": [
        r"social\s+security\s+(?:numbers?|no\b|card|#)",
        r"ssn\b",
        r"social\s+insurance\s+numbers?",
        r"national\s+insurance\s+(?:numbers?|no\b)",
        r"national\s+(?:id|identity|identification)\b(?!\s+(?:cards?|documents?|papers))(?:\s+(?:numbers?|no\b|#))?",
        r"(?:tax|taxpayer)\s+(?:id|identification)\b(?:\s+(?:numbers?|no\b))?",
        r"tax\s+numbers?\b",
        r"(?:tax\s+(?:file|reference)|unique\s+taxpayer\s+reference)(?:\s+numbers?)?\b|\butr\b|\bni\s+(?:numbers?|no\b)",
        # the number of an ID card is a national id, any language
        r"(?:id|identity|identification)\s+(?:card\s+|document\s+)?(?:numbers?|no\b)",
        r"numbers?\s+(?:of|on)\s+(?:your\s+|the\s+)?(?:id|identity)\s+(?:card|document)s?\b",
        rf"numeros?\s+(?:de\s+(?:votre\s+|la\s+|ta\s+)?)?(?:carte|piece)\s+{_D}identite",
        r"numero\s+(?:de\s+)?registre\s+national|numero\s+national\b",
        r"nummer\s+(?:ihres|des|deines)\s+(?:personal)?ausweises",
        rf"numero\s+(?:della|di|del)\s+(?:sua\s+|tua\s+)?(?:carta\s+{_DI}identita|documento(?:\s+{_DI}identita)?)",
        r"nummer\s+van\s+(?:uw|je|het)\s+(?:identiteitsbewijs|identiteitskaart|id-kaart)",
        r"numero\s+do\s+(?:seu\s+|teu\s+)?(?:cartao\s+de\s+cidadao|documento\s+de\s+identi\w+|bilhete\s+de\s+identidade|rg)\b",
        r"numero\s+de\s+identificacao\s+civil",
        # FR
        r"numeros?\s+(?:de\s+)?(?:securite\s+sociale|secu\b|carte\s+vitale)",
        # the institution's bare name ("paye par la Securite sociale", "Ordenante: Seguridad Social") is
        # not the reader's number: only with a possessive (see the ES / PT entries below)
        r"(?:votre|ta|ton|vos|tes)\s+securite\s+sociale",
        r"carte\s+vitale",
        r"nir\b",
        r"numero\s+fiscal",
        rf"numero\s+(?:{_D}|de\s+|di\s+)identifica(?:tion|cion|zione|cao)\s+(?:fiscale?|personal)",
        # DE
        r"steuer[- ]?(?:id|identifikationsnummer|nummer)\b",
        r"sv[- ]nummer\b",
        # ES / IT / PT
        r"numero\s+(?:de\s+|da\s+|di\s+)?(?:la\s+)?(?:seguridad|seguranca|previdenza)\s+social[e]?",
        r"(?:su|tu|sus|tus)\s+seguridad\s+social",
        r"(?:(?:o\s+)?(?:seu|teu)|(?:a\s+)?(?:sua|tua))\s+seguranca\s+social",
        r"\b(?:nss|nif|nie|niss|cpf|curp|rfc|bsn|avs|ahv|cuit|cuil|tin)\b(?:[- ]?(?:nummer|nr|number|numero)\b)?",
        r"numero\s+(?:avs|ahv|de\s+(?:su\s+|tu\s+|la\s+)?cedula)\b",
        r"numero\s+(?:de|del|do)\s+(?:su\s+|tu\s+)?(?:dni|nie|nif|documento(?:\s+(?:nacional\s+)?de\s+identidad)?"
        r"|carnet\s+de\s+identidad)",
        r"numero\s+de\s+(?:contribuinte|utente|afiliacion)",
        r"codic[ei]\s+fiscal[ei]",
        r"tessera\s+sanitaria",
        # NL
        r"sofi[- ]nummer",
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
        r"\bbic\b|swift\s+code",
        r"direct\s+deposit\s+(?:details|information|info)",
        # FR
        r"coordonnees\s+bancaires",
        r"(?:donnees|informations|references)\s+bancaires",
        r"numero\s+de\s+compte\s+bancaire",
        r"numeros?\s+de\s+(?:votre\s+|ton\s+|la\s+)?compte\b(?!\s+(?:client|fidelite|adherent|abonne|utilisateur))",
        r"(?<!customer )(?<!client )(?<!member )(?<!user )(?:account|acct)\s+(?:numbers?|no\b|#)",
        # ES / IT / PT
        r"(?:datos|dados|dati|estremi|coordinate|coordenadas|detalles|informacion|informacoes)\s+bancari[oae]?s?",
        r"(?:numero\s+de\s+)?cuenta\s+bancaria",
        r"numero\s+de\s+(?:su\s+|tu\s+|la\s+)?cuenta",
        r"(?:datos|detalles)\s+de\s+(?:su\s+|tu\s+|la\s+)?cuenta(?:\s+bancaria)?",
        r"numero\s+(?:di|del)\s+(?:tuo\s+|suo\s+|vostro\s+)?conto(?:\s+corrente)?",
        r"(?:dati|estremi)\s+del\s+(?:tuo\s+|suo\s+|vostro\s+)?conto(?:\s+corrente|\s+bancario)?",
        r"conto\s+(?:corrente|bancario)",
        r"numero\s+d[ae]\s+(?:sua\s+|tua\s+)?conta(?:\s+bancaria)?",
        r"conta\s+bancaria",
        r"dados\s+da\s+(?:sua\s+|tua\s+)?conta(?:\s+bancaria)?",
        r"\b(?:nib|clabe|cbu|cvu)\b",
        r"agencia\s+e\s+(?:(?:o\s+)?numero\s+da\s+)?conta\b",
    ],
    "card_number": [
        r"(?:credit|debit|payment|bank|gift)\s+card\s+(?:numbers?|details|information|info|data|no\b)",
        r"(?:credit|debit)\s+cards?\b",
        rf"card(?:{_AP}s)?\s+(?:expiry|expiration)\s+date|(?:expiry|expiration)\s+date\s+of\s+(?:your\s+|the\s+)?card",
        r"(?<!id )(?<!identity )(?<!identification )card\s+(?:numbers?|details|no\b)",
        r"cvv2?\b",
        r"cvc2?\b",
        r"card\s+(?:verification|security)\s+(?:code|value|number)",
        r"security\s+code\s+(?:on|at|from)\s+the\s+back",
        # FR
        rf"numeros?\s+de\s+(?:votre\s+|ta\s+|la\s+)?(?:nouvelle\s+)?carte(?!\s+{_D}identite|\s+vitale)",
        r"cryptogramme",
        rf"(?:donnees|informations|coordonnees)\s+de\s+(?:votre\s+|ta\s+|la\s+)?carte(?!\s+{_D}identite|\s+vitale)",
        r"carte\s+(?:bancaire|de\s+credit|de\s+paiement)",
        # the digits of a card, any language ("the long number on your card", "les 16 chiffres de votre carte")
        r"(?:digits?|numbers?|chiffres|digitos|cifre|ziffern|cijfers)\s+(?:on|of|from|at|de|di|della|del|do|da|van|auf|der"
        r"|au|sul|op|no|en|in)\s+"
        r"(?:the\s+|your\s+|votre\s+|ta\s+|la\s+|su\s+|tu\s+|tua\s+|sua\s+|seu\s+|teu\s+|uw\s+|je\s+|ihrer\s+"
        r"|der\s+|de\s+|el\s+|il\s+|o\s+)?(?:(?:new|current|replacement|nouvelle|neuen|nueva|nuova|nova|nieuwe)\s+)?(?:(?:front|back|reverse|rear)\s+(?:side\s+)?of\s+(?:the\s+|your\s+)?"
        r"|(?:dos|reverso|retro|verso|achterkant|voorkant|ruckseite)\s+(?:de|del|della|do|da|van|der|ihrer)\s+"
        r"(?:votre\s+|ta\s+|la\s+|su\s+|tu\s+|tua\s+|sua\s+|seu\s+|teu\s+|uw\s+|je\s+|de\s+)?)?(?:(?:credit|debit|bank)\s+)?"
        r"(?:card|carte|tarjeta|carta|cartao|karte|kaart)\b",
        r"carte\s+bleue",
        # ES / IT / PT
        r"(?:numeros?|numeri|datos|dados|dati|detalles)\s+(?:completo\s+|entero\s+|completi\s+)?(?:de|del|della|di|do|da)\s+"
        r"(?:su\s+|tu\s+|la\s+|tua\s+|sua\s+|vostra\s+"
        rf"|seu\s+|teu\s+)?(?:(?:nuev|nuov|nov|otr|altr|outr)[oa]\s+)?(?:tarjeta|cartao(?!\s+de\s+cidadao)|carta\b(?!\s+{_DI}identita|\s+de\s+condu))",
        r"(?:tarjeta|carta|cartao)\s+(?:de|di)\s+(?:credito|debito|pagamento|pago)",
        r"(?:codigo|codice)\s+(?:de\s+|di\s+)?(?:seguridad|seguranca|sicurezza)\s+(?:de|del|della|do|da)\s+"
        r"(?:su\s+|tu\s+|la\s+|sua\s+|tua\s+|seu\s+)?(?:tarjeta|carta|cartao)",
        # the security code on the back of the card, any language ("le code de securite au dos de votre carte",
        # "der Sicherheitscode auf der Ruckseite Ihrer Karte", "il codice di sicurezza sul retro della sua carta")
        r"(?:code\s+de\s+securite|sicherheitscode|kartenprufnummer|codice\s+di\s+sicurezza|codigo\s+de\s+(?:seguridad|seguranca))\s+"
        r"(?:au|sur\s+le|auf\s+der|sul|en\s+el|no|na)\s+(?:dos|ruckseite|retro|reverso|verso)\s+(?:(?:de|der|della|del|do|da|di)\s+)?"
        r"(?:votre\s+|ta\s+|la\s+|ihrer\s+|deiner\s+|sua\s+|tua\s+|su\s+|tu\s+|seu\s+|teu\s+)?(?:carte|karte|carta|tarjeta|cartao)\b",
        # NL
        r"creditcard(?:s)?\b",
        r"beveiligingscode\s+(?:(?:op|aan)\s+de\s+(?:achterkant|achterzijde|voorkant)\s+)?van\s+(?:uw\s+|je\s+|de\s+)?"
        r"(?:kaart|creditcard|bankpas|betaalpas)",
    ],
    "password": [
        r"pass(?:word|code|phrase)s?\b",
        r"pwd\b",
        r"pin(?:\s+(?:code|number))?\b",
        r"one[- ]?time\s+(?:pass(?:word|code)|code|pin)",
        r"otp\b",
        r"(?:verification|security|authentication|confirmation|2fa|sms|text)[\s-]+codes?",
        r"(?:\d|four|six|eight)[- ]digit\s+code",
        r"code\s+(?:we|that\s+we|you)\s+(?:just\s+)?(?:sent|texted|received|got)",
        # the code the reader just received, to be sent back ("le code que tu viens de recevoir par SMS",
        # "den Code zuruck, den du per SMS bekommen hast")
        r"code\s+(?:que|qu)\s+(?:tu|vous)\s+(?:viens\s+de\s+|venez\s+de\s+|as\s+|avez\s+)?(?:recevoir|recu)\b",
        r"code(?:\s+zuruck)?\s*,?\s+(?:den|welchen)\s+(?:du|sie|ihr)\s+(?:[\w-]+\s+){0,4}?(?:bekommen|erhalten|bekamst|erhieltst)\b",
        r"(?:log|sign)[- ]?in\s+(?:credentials|details|information|data|info)",
        r"(?:3-?d\s+)?secure\s+codes?\b",
        r"(?<!banking )(?<!bank )credentials\b",
        # the log-in of the online banking ("write me your online banking login")
        r"(?:online[\s-]?banking|internet[\s-]?banking|mobile[\s-]?banking|banking|bank)\s+(?:logins?\b|log-?in\s+details|password)",
        # FR
        r"mots?\s+de\s+passe",
        rf"codes?\s+(?:pin|secret|confidentiel|de\s+verification|de\s+confirmation|de\s+securite(?!\s+(?:au|sur\s+le)\s+(?:dos|verso)\b)|{_D}acces|recu|sms"
        r"|a\s+\d\s+chiffres|unique)",
        r"identifiants(?:\s+de\s+connexion)?",
        r"donnees\s+de\s+connexion",
        # DE
        r"tan\b",
        r"log[- ]?in[- ]?daten\b",
        # ES / IT / PT
        r"contrasenas?",
        r"senhas?\b",
        r"palavras?[- ]passe",
        r"clave\s+(?:de\s+acceso|secreta|bancaria|personal|de\s+firma|de\s+seguridad|de\s+operaciones|sms|otp|pin)",
        r"(?:su|tu)\s+clave\b",
        r"(?:usuario|user)\s+y\s+(?:la\s+)?clave\b",
        r"(?:codigo|codice|codici|codigos)\s+(?:pin|otp|sms|secreto|segreto|recibido|ricevuto|recebido|dispositivo|monouso"
        r"|(?:de|di|do|da)\s+(?:verificacion|verificacao|verifica|confirmacion|confirmacao|conferma|acceso|acesso|accesso"
        r"|activacion|ativacao|attivazione|autorizzazione|autenticacao|autenticacion"
        r"|seguridad(?!\s+de\s+(?:su\s+|tu\s+|la\s+)?tarjeta)"
        r"|seguranca(?!\s+do\s+(?:seu\s+|teu\s+)?cartao)|sicurezza(?!\s+della\s+(?:tua\s+|sua\s+|vostra\s+)?carta))"
        r"|que\s+(?:le|te|lhe)\s+(?:hemos\s+|foi\s+)?(?:enviado|enviamos|llego|ha\s+llegado|chegou|acaba\s+de\s+(?:llegar|chegar))"
        r"|que\s+(?:te\s+|lhe\s+)?chegou\b"
        r"|que\s+(?:(?:voce|vc|usted)\s+)?(?:recebeu|recibio|recibiste|recebeste|ha\s+recibido)"
        r"|che\s+(?:ti|le|vi)\s+(?:abbiamo\s+)?(?:inviato|mandato|e\s+(?:appena\s+)?arrivato|sono\s+(?:appena\s+)?arrivati))",
        r"credenciales(?:\s+de\s+acceso)?",
        r"(?:datos|dados|dati)\s+(?:de|di)\s+(?:acceso|acesso|accesso)",
        r"credenziali(?:\s+di\s+accesso)?",
        r"credenciais(?:\s+de\s+acesso)?",
        # NL
        r"code\s+(?:terug\s+|doorsturen\s+|sturen\s+|doorgeven\s+|geven\s+|mailen\s+)?die\s+(?:u|je|jij)\s+(?:[\w-]+\s+){0,4}?"
        r"(?:ontvangen|gekregen|kreeg|kreegt|ontving|krijgt)\b",
        # the code a card reader, scanner or token shows ("de code in die uw Rabo Scanner nu toont",
        # "the code shown on your card reader", "den Code, den Ihr TAN-Generator anzeigt")
        r"code\s+(?:in\s+)?die\s+(?:uw|je|jouw|de)\s+(?:[\w-]+\s+)?(?:scanner|kaartlezer|digipass|token|app)\s+"
        r"(?:[\w-]+\s+){0,2}?(?:toont|geeft|weergeeft|aangeeft)\b",
        r"code\s+(?:in\s+)?die\s+(?:nu\s+)?op\s+(?:het|uw|je)\s+(?:scherm|display)\s+(?:verschijnt|staat|wordt\s+getoond)\b",
        r"code\s+(?:shown|displayed|generated)\s+(?:on|by)\s+(?:your\s+|the\s+)?(?:card\s+reader|token|scanner|digipass)",
        r"code\s*,?\s+(?:den|welchen)\s+(?:ihr|dein|der|das)\s+(?:[\w-]+\s+)?(?:tan-?generator|lesegerat|kartenleser|token"
        r"|scanner)\s+(?:[\w-]+\s+){0,2}?(?:anzeigt|erzeugt|generiert)\b",
        # any language: a code sent by text message ("un code par SMS", "un codigo por SMS") or
        # one of so many digits ("code a six chiffres", "codice di sei cifre", "sechsstelliger Code")
        r"(?:codes?|codigos?|codice|codici)\s+(?:\w+\s+){0,2}?(?:par|por|per|via|by|in|pelo|em)\s+(?:sms|texto|text)\b",
        r"(?:codes?|codigos?|codice|codici)\s+(?:a|de|di|com|van|met)\s+(?:\d+|quatre|six|huit|cuatro|seis|ocho|quattro|sei"
        r"|otto|quatro|oito|vier|zes|acht)\s+(?:chiffres|digitos|cifre|cijfers|numeros|numeri|nummers|numbers)\b",
        r"(?:\d|vier|sechs|acht)[- ]?stellige[nmrs]?\s+(?:sms-?)?(?:code|pin|tan)\b",
        r"(?:\d|vier|zes|acht)[- ]?cijferige\s+(?:sms-?)?(?:code|pincode)\b",
        r"mdp\b",
        r"codes?\s+a\s+usage\s+unique",
        r"(?:codes?|codigos?|codice|pin)\s+(?:\w+\s+)?(?:mb\s*way|digipass)\b",
        r"(?:ontvangen|toegestuurde|erhaltenen?|zugesandten?|zugeschickten?|empfangenen?)\s+(?:sms-?)?(?:code|tan|pin)\b",
    ],
}
# Colloquial, abbreviated, regional and misspelt names of the sensitive nouns
# (general vocabulary of each language and country, not the phrasing of any
# one mail): "Perso", "Führerausweis" (CH), "registro de conducir" (AR), "NAS"
# (QC), "RUT" (CL), "PPS number" (IE), "TFN"/"BSB" (AU), "CF" (IT), "acc no",
# "pasport", ... The rules still need a request cue around them.
_NOUNS_COLLOQUIAL = {
    "id_document": [
        # not the Italian participle "perso" (lost: "ho perso il telefono")
        r"(?<!ho )(?<!hai )(?<!ha )(?<!abbiamo )(?<!avete )(?<!hanno )(?<!aver )(?<!avere )(?<!avendo )"
        r"perso\b(?![- ]?(?:nummer|nr)\b)",
        r"(?:ihre[nrs]?|deine[nrs]?|je|uw|jouw)\s+id\b(?![- ]?(?:nummer|nr|number)\b)",
        r"id[- ]?bewijs\b",
        r"credencial\s+(?:para\s+votar|de\s+elector|del\s+ine|de\s+identidad)",
        r"cartao\s+(?:de|do)\s+cidadao",
        r"(?:ur|yr)\s+id\b(?!\s*(?:number|no\b|#|:|\d))",
    ],
    "passport": [
        r"(?:pasports?|passorts?|passprots?|passporrts?|pasaportes?|pasaporte|passaprt|passports?)\b",
    ],
    "drivers_licence": [
        rf"drivers?{_AP}?s?\s*(?:lisen[cs]es?|liscen[cs]es?|licen[cs]|lic)\b",
        r"(?:your|ur|yr|a|the)\s+(?:full\s+|valid\s+|uk\s+|photocard\s+|current\s+)?licen[cs]es?\b"
        r"(?!\s+(?:key|keys|code|fee|fees|agreement|plate|plates|number\s+plate|server|file|terms|renewal))",
        r"(?:licencia|registro|carnet|carne|permiso|pase)\s+de\s+(?:conducir|manejar|manejo|conductor)",
        r"brevete\b",
        r"(?:deinen|ihren|den)\s+lappen\b",
        r"(?:fuhrerausweis|fahrerlaubnis|lernfahrausweis)(?:es|e|kopie)?\b",
    ],
    "national_id": [
        r"pps(?:n\b|\s+(?:numbers?|no\b))",
        r"(?:tfn|ppsn|nino|itin|rut|ruc|nit|nuss|pis|svnr)\b",
        r"aadhaa?r(?:\s+(?:card|numbers?|no\b))?",
        r"pan\s+(?:card|numbers?|no\b)",
        r"sin\s+(?:numbers?|no\b|#)",
        r"ss\s*(?:numbers?|no\b|#)",
        r"nas\b",
        rf"(?:numero\s+{_D})?assurance\s+sociale",
        r"numero\s+de\s+identificacion\s+tributaria",
        r"cf\b",
        r"(?:versicherungsnummer|sozialversicherungsnr|steueridnr|steueridentnummer|sv-?nr)\b",
    ],
    "bank_account": [
        r"acc\s+(?:numbers?|no\b|#|nr\b)",
        r"bsb\b",
        r"bank\s+(?:deets|detials|detail|dets|acc|acct|account\s+(?:info|no\b))\b",
        r"(?:nro|num|no|n)\s*\.?\s*(?:de|da|di|del)\s+(?:su\s+|tu\s+|la\s+|sua\s+|tua\s+)?(?:cuenta|conta|conto)\b",
        r"(?:kontonr|ktonr|rekeningnr|bankrekeningnr)\b",
    ],
    "card_number": [
        r"cc\s+(?:numbers?|details|info|no\b|#)",
        r"card\s+(?:num|nbr|#|deets|info)\b",
        r"(?:tarjeta|cartao|carta)\s+(?:de\s+)?(?:credito|debito|bancari[ao]|prepagata|prepago|pre-pago)",
        r"(?:tu|su)\s+tarjeta\b(?!\s+de\s+(?:residencia|residente|identidad|embarque|transporte|socio|cliente"
        r"|fidelidad|sanitaria|estudiante))",
        r"(?:seu|teu)\s+cartao\b(?!\s+(?:de|do)\s+cidadao)",
        r"(?:numero\s+de\s+(?:votre\s+|ta\s+|la\s+)?)?cb\b",
        r"(?:girokarte|eckarte|ec-karte|bankkarte|visakarte|pinpas|pinpasnummer|bancomat|postepay)\b",
    ],
    "password": [
        r"(?:pasword|passwrod|passowrd|paswords|passwd|pword)\b",
        r"(?:your|ur|the|yr)\s+log[- ]?ins?\b(?!\s+(?:page|link|screen|button|attempts?|area|portal|here|form|issue|problem))",
        r"(?:mfa|auth|login|access|sign[- ]?in|2-?fa)\s+codes?\b",
        r"codes?\s+(?:de\s+)?(?:validation|connexion|activation|authentification)",
        r"usuario\s+y\s+(?:clave|contrasena)",
        r"clave\s+(?:dinamica|token|de\s+(?:internet|home\s*banking|banca)|del\s+(?:banco|home\s*banking))",
        r"(?:codigo|clave|numero)\s+(?:del\s+)?token\b",
        r"(?:codigos?|codes?)\s+(?:de|a)\s+(?:\d+|cuatro|seis|ocho|six|quatre|huit)\s+(?:cifras|digitos)\b",
        r"code\s+(?:van|uit)\s+(?:je|uw|de)\s+(?:digipass|bankapp|sms|app|e-?dentifier|scanner|kaartlezer)",
        r"(?:zugangscode|anmeldecode|logincode|einmalkennwort)(?:s|e)?\b",
    ],
}
for _cat, _pats in _NOUNS_COLLOQUIAL.items():
    _NOUNS[_cat].extend(_pats)
del _cat, _pats

for _cat, _fams in _FAMILIES.items():
    _NOUNS[_cat].extend(_family(s, e)[0] for s, e in _fams)

#: One regex per category, tried only in a small window around an anchor word.
_NOUN_RES = {cat: re.compile(r"\b(?:" + "|".join(pats) + ")") for cat, pats in _NOUNS.items()}


def _first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can begin with (None: any, or unknown)."""
    from re import _constants as c, _parser  # the regex parser of the standard library

    def seq(items) -> tuple[set[str] | None, bool]:
        out: set[str] = set()
        for op, av in items:
            first, nullable = item(op, av)
            if first is None:
                return None, False
            out |= first
            if not nullable:
                return out, False
        return out, True

    def item(op, av) -> tuple[set[str] | None, bool]:
        if op is c.LITERAL:
            return {chr(av)}, False
        if op is c.IN:
            chars: set[str] = set()
            for iop, iav in av:
                if iop is c.LITERAL:
                    chars.add(chr(iav))
                elif iop is c.RANGE:
                    chars.update(map(chr, range(iav[0], iav[1] + 1)))
                elif iop is c.CATEGORY and iav is c.CATEGORY_DIGIT:
                    chars.update("0123456789")
                else:
                    return None, False
            return chars, False
        if op is c.BRANCH:
            out: set[str] = set()
            nullable = False
            for branch in av[1]:
                first, n = seq(branch)
                if first is None:
                    return None, False
                out |= first
                nullable |= n
            return out, nullable
        if op is c.SUBPATTERN:
            return seq(av[3])
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            first, n = seq(av[2])
            return first, n or av[0] == 0
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return set(), True
        return None, False

    first, nullable = seq(_parser.parse(pattern).data)
    return None if first is None or nullable else frozenset(first)


def _by_first_char(pats: list[str]) -> dict[str, re.Pattern]:
    """For each character a word can begin with, the alternation of the patterns
    (in their order) whose matches can begin with it: at a given position it
    matches exactly as the alternation of all the patterns."""
    firsts = [_first_chars(p) for p in pats]
    compiled: dict[tuple[int, ...], re.Pattern] = {}
    table = {}
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789_":
        keep = tuple(k for k, f in enumerate(firsts) if f is None or ch in f)
        if keep:
            if keep not in compiled:
                compiled[keep] = re.compile("(?:" + "|".join(pats[k] for k in keep) + ")")
            table[ch] = compiled[keep]
    return table


# The same without the leading word boundary, matched at word starts only (every
# alternative begins with a word character, so a _NOUN_RES match begins at a
# word start), each with the alternatives that can begin with the character
# there: a few small match() calls instead of a scan of every position.
_NOUN_AT = {cat: _by_first_char(pats) for cat, pats in _NOUNS.items()}
_WORD_START = re.compile(r"\b\w")

#: Anchor words (after punctuation is turned into spaces): every noun pattern of
#: the category contains at least one of them as a whole word. A text without
#: any anchor word cannot contain a request, which is the fast path.
_ANCHORS = {
    "id_document": """id identity identification identite cni sejour residence resident residency
        idkarte identidad identidade identita identificacion identificacao documento dni cedula cidadao
        soggiorno residencia cie rg ine legitimatie kaart idkaart""",
    "passport": """passport passports passeport passeports pasaporte pasaportes passaporto passaporti passaporte
        passaportes pass passes""",
    "drivers_licence": """license licence licenses licences permit permis conduire conducir manejo conduccion conducao
        patente motorista habilitacao cnh""",
    "national_id": """social ssn insurance national tax taxpayer securite secu vitale nir fiscal
        steuer steuerid sv seguridad seguranca previdenza nss nif nie niss cpf curp rfc bsn dni documento
        utr ni tin cuit cuil id identity identification identite identidad identidade identita cidadao rg
        ausweises personalausweises identiteitsbewijs identiteitskaart kaart
        identificacion identificacao contribuinte utente afiliacion fiscale fiscali sanitaria sofi avs ahv cedula""",
    "bank_account": """iban rib bancaire bancaires bank banking routing sort deposit bancarios bancarias
        bancaria bancario bancari bancarie cuenta conto conta nib clabe cbu cvu bic swift""",
    "card_number": """card cards credit cvv cvv2 cvc cvc2 carte cryptogramme security tarjeta carta cartao karte kaart
        creditcard creditcards beveiligingscode sicherheitscode kartenprufnummer""",
    "password": """password passwords passcode passcodes passphrase passphrases pwd pin otp code codes
        credentials passe identifiants tan daten login signin connexion acceso acesso accesso
        phototan chiptan contrasena contrasenas senha senhas clave codigo codigos
        codice codici credenciales credenziali credenciais mdp""",
}
# anchors of the colloquial names (_NOUNS_COLLOQUIAL); common words are pair anchors (below)
_ANCHORS["id_document"] += " perso idbewijs credencial"
_ANCHORS["passport"] += " pasport pasports passort passorts passprot passprots passporrt passporrts passaprt"
_ANCHORS["drivers_licence"] += (" lisence lisense lisences lisenses liscence liscense licenc licens lic manejar brevete"
                                " lappen fuhrerausweis fuhrerausweises fuhrerausweise fuhrerausweiskopie fahrerlaubnis"
                                " lernfahrausweis")
_ANCHORS["national_id"] += (" pps ppsn tfn nino itin rut ruc nit nuss pis svnr aadhar aadhaar nas assurance tributaria"
                            " cf versicherungsnummer sozialversicherungsnr steueridnr steueridentnummer")
_ANCHORS["bank_account"] += " acc bsb kontonr ktonr rekeningnr bankrekeningnr"
_ANCHORS["card_number"] += " cc cb girokarte eckarte bankkarte visakarte pinpas pinpasnummer bancomat postepay"
_ANCHORS["password"] += (" pasword passwrod passowrd paswords passwd pword logins clave token"
                         " zugangscode zugangscodes anmeldecode logincode einmalkennwort")
for _cat, _fams in _FAMILIES.items():
    _ANCHORS[_cat] += " " + " ".join(w for s, e in _fams for w in _family(s, e)[1])
_ANCHOR_CATS: dict[str, tuple[str, ...]] = {}
for _cat, _words in _ANCHORS.items():
    for _w in _words.split():
        if _cat not in _ANCHOR_CATS.get(_w, ()):
            _ANCHOR_CATS[_w] = _ANCHOR_CATS.get(_w, ()) + (_cat,)
_ANCHOR_WORDS = frozenset(_ANCHOR_CATS)
del _cat, _words, _w, _fams

# Everything that is not a letter or digit separates words for the anchor test
# (normalised text is ASCII, so a bytes table is enough and fast).
_SEPARATORS = bytes(c if chr(c).isalnum() and c < 128 else 32 for c in range(256))
_ANCHOR_BYTES = frozenset(w.encode("ascii") for w in _ANCHOR_CATS)

#: Common words that anchor a noun only in a text that holds another anchor
#: word ("account number", "numero de compte"): they are no part of the
#: pre-check, so plain text ("your account page") stays on the fast path.
_PAIR_ANCHORS = {"bank_account": "account acct compte", "national_id": "pan sin ss",
                 "drivers_licence": "registro carnet carne pase conductor"}
for _cat, _words_ in _PAIR_ANCHORS.items():
    for _w in _words_.split():
        _ANCHOR_CATS[_w] = _ANCHOR_CATS.get(_w, ()) + (_cat,)
_PAIR_ANCHOR_BYTES = frozenset(w.encode("ascii") for ws in _PAIR_ANCHORS.values() for w in ws.split())
del _cat, _words_, _w
# A pair anchor is scanned only where its noun can be ("account number", "numero
# de compte"); the other nouns holding it hold another anchor word too ("bank
# account number", "account and routing numbers", "numero de compte bancaire").
_ACCOUNT_NEXT = re.compile(r"\s+(?:numbers?|no\b|#)")
_COMPTE_BEFORE = re.compile(r"numeros?\s+de\s+(?:votre\s+|ton\s+|la\s+)?$")
_PAIR_AT = {
    "account": lambda t, i, j: _ACCOUNT_NEXT.match(t, j) is not None,
    "acct": lambda t, i, j: _ACCOUNT_NEXT.match(t, j) is not None,
    "compte": lambda t, i, j: _COMPTE_BEFORE.search(t, max(0, i - 30), i) is not None,
}

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
#
# A cue is either a plain word (any of the listed forms, a set lookup on the
# window's words) or a phrase (a regex, run only when one of its trigger words
# is present). The plain words are part of the cue regexes as well, so that
# _CUE_BEFORE / _CUE_AFTER alone describe every cue.

# Active cues on their own, before the noun (imperatives, "we need" verbs).
_CUE_BEFORE_PLAIN = frozenset(b"""
    resend resending reply replying attach attaching upload uploading confirm verify validate enter
    submit submitting include input furnish supply requesting snap
    ubermitteln ubersenden zuschicken verifizieren eingeben hochladen benotigen brauchen zukommen
    angeben beifugen beilegen mitteilen einreichen nachreichen bereitstellen zusendung ubermittlung
    ubersendung einsendung antworte antwortet benotige brauchte brauchten benotigten
    conteste contesten contesta contestar contestando responde pasame pasanos pasarme pasarnos
    enviara enviase enviaran mandara mandase facilitara facilitase remitiera adjuntara proporcionara
    necesitaria necesitariamos precisaria precisariamos preciso necesito brauche
    reponds girami giraci girateci girarmi girarci confermarci indicarci mandarci trasmetterci
    reageer reageert reageren dime digame dinos dimmi dicci inviasse inviassero mandasse fornisse allegasse
    trasmettesse comunicasse inoltrate inoltri inoltra inoltrare inoltrarci
    inoltrateci inoltrami reenvie reenvienos reenviar reencaminhe encaminhe encaminhem encaminhar
    envoyez envoyiez envoyes envoyons envoie envoies envoiez renvoie renvoies renvoiez envoi fournissez
    fournisses fournis joindre joignez joignes joigne joins transmettez transmette transmets repondre
    repondez repondant confirmer confirmez verifier verifiez saisir saisissez entrer entrez renseigner
    renseignez communiquez indiquer indiquez veuillez telecharger telechargez deposer deposez partager
    partagez adresser adressez donner donnez
    envie envien envienos envieme enviarnos enviarme envianos enviame mande manden mandenos mandeme
    mandarnos mandanos mandame remita remitan remitanos remitirnos proporcione proporcionen
    proporcionenos proporcionarnos facilite faciliten facilitenos facilitarnos adjunte adjunten adjuntar
    adjuntando confirme confirmen confirmar verifique verifiquen verificar ingrese ingresen ingresar
    introduzca introduzcan introducir necesitamos requerimos solicitamos responda respondan respondanos
    responder comparta compartan compartir suba suban subir indique indiquen indiquenos escriba
    escribanos aporte aporten aportar rellene cumplimente digite digitar envio denos diganos
    inviateci inviaci inviatemi inviami inviarci inviarmi invii inviate mandateci mandaci mandami
    mandatemi mandi mandate mandarci rispondete rispondi risponda rispondere rispondendo allegate
    alleghi allega allegare allegando allegateci fornite forniteci fornisca fornire fornirci fornisci
    fornendo confermate confermi conferma confermare verificate verifichi inserite inserisca inserisci
    inserire indicate indichi indicare indicateci indicarci comunicate comunicateci comunichi comunicaci
    comunicarci trasmettete trasmetteteci trasmetta trasmettere trasmetterci trasmettici condividete
    condivida condividi condividere caricate carichi carica caricare digitate digiti digita digitare
    necessitiamo richiediamo invio fateci farci
    stuur stuurt toesturen opsturen doorsturen verstuur verstuurt zend zendt toezenden mailt mailen
    antwoord beantwoord beantwoordt bijvoegen voeg voegt bevestig bevestigt verifieer verifieert verifieren
    geef geeft doorgeven deel deelt delen vul vult invullen voer voert invoeren uploaden uploadt
    aanleveren verstrek verstrekt verstrekken overleggen bezorg bezorgt bezorgen toezending
    enviem mandem remeta remetam anexe anexem anexar anexando forneca fornecam fornecer insira inserir
    introduza digite informar indicar partilhe partilhar compartilhe compartilhar carregue carregar
    submeta submeter precisamos preencha
    transmit transmitting resubmit rispedisca rispedite rispedire rispedirci compili mandarmi gireresti girerebbe
    girereste rimandarci rimandare rimandi rimandateci rimandaci inoltrarmi reenviarnos reenviarme remitirme
    facilitarme proporcionarme mandarme mandarnosla mandarnoslo remetesse remetessem enviasse enviassem
    fornecesse encaminhasse antwoorden mailtje weiterleiten zustellen
    mandacelo mandacela inviacelo inviacela mandatecelo mandatecela inviatecelo inviatecela envienoslo envienosla
    mandenoslo mandenosla remitanoslo remitanosla facilitenoslo facilitenosla
    zurucksenden zuruckschicken zurucksendet zuruckschickt retournieren
    indicarnos indicarme comunicarnos comunicarme
""".split())

# Active cues, searched in the part of the sentence before the noun, in groups
# (trigger words, phrases): every match of a group's phrases contains one of its
# trigger words (after punctuation is turned into spaces), so a group whose
# triggers are absent from the window is not scanned.
_CUE_BEFORE_GROUPS = (
    # EN
    ("""send sending resend resending provide providing reply replying respond responding attach
        attaching upload uploading share sharing confirm verify validate enter submit submitting
        include forward fill input furnish supply email e mail text fax whatsapp type give tell let
        need require request requesting ask asking take snap missing emailing mailing texting faxing have get
        drop what whats needs requires missing complete fill sign return scan photograph photocopy do really""",
     r"(?:re)?send(?:ing)?\b(?!\s+you\b)"
     r"|provid(?:e|ing)\b(?!\s+you\b)"
     r"|repl(?:y|ying)\b|respond(?:ing)?\s+with|attach(?:ing)?\b|upload(?:ing)?\b"
     r"|shar(?:e|ing)\b(?!\s+with\s+you)|confirm\b|verify\b|validate\b|enter\b|submit(?:ting)?\b"
     r"|include\b|forward\b(?!\s+you\b)|fill\s+(?:in|out)\b|input\b|furnish\b|supply\b"
     r"|e-?mail(?:ing)?\s+(?:us|me|it|them|back)\b|(?:mail|text|fax)(?:ing)?\s+(?:us|me)\b|whatsapp\s+(?:us|me)\b"
     r"|type\s+(?:in\s+)?(?:your|the)\b|give\s+(?:us|me)\b|tell\s+(?:us|me)\b|let\s+(?:us|me)\s+(?:have|know)\b"
     rf"|(?:we|i)(?:{_AP}ll|{_AP}d)?(?:\s+(?:will|would|also|still|urgently|just|now|then|kindly|do|really))*\s+(?:need|require|request)\b"
     r"|missing\s+from\b|(?:complete|fill\s+in|fill\s+out|sign)\s+and\s+return\b|return\s+(?:\w+\s+)?(?:by|via)\s+e-?mail\b"
     r"|(?:please|kindly|could\s+you|can\s+you|would\s+you)\s+(?:\w+\s+)?(?:scan|photograph|photocopy)\b"
     r"|need\s+(?:you|a\s+copy|a\s+photo|a\s+scan)\b|requesting\b|ask(?:ing)?\s+(?:you\s+)?for\b|ask\s+you\s+to\b"
     r"|take\s+a\s+(?:photo|picture)\b|snap\b"
     r"|(?:please|kindly|pls|could\s+you|can\s+you|would\s+you)\s+(?:\w+\s+)?e-?mail\b"
     r"|e-?mail\s+(?:\w+\s+)?(?:a\s+copy|a\s+scan|a\s+photo|a\s+selfie|a\s+picture|an\s+image|a\s+photograph|your)\b"
     rf"|(?:we\s+are|we{_AP}re|are|is)\s+(?:still\s+)?missing\b|still\s+missing\b"
     r"|(?:can|could|may)\s+(?:i|we)\s+(?:please\s+)?(?:have|get)\b|drop\s+(?:me|us)\b"
     rf"|what(?:{_AP}s|\s+is|\s+are)\s+(?:your|ur)\b"
     rf"|(?<!you\s)(?<!you{_AP}ll\s)(?<!will\s)(?<!would\s)need\s+(?:your|ur)\b|(?:needs|requires)\s+(?:your|ur)\b"),
    # FR
    ("""envoyez envoyiez envoyes envoyons envoyer renvoyer envoie envoies envoiez renvoie renvoies
        renvoiez envoi fournissez fournisses fournir fournis joindre joignez joignes joigne joins
        transmettez transmette transmettre transmets repondre repondez repondant confirmer confirmez
        verifier verifiez saisir saisissez entrer entrez renseigner renseignez communiquer communiquez
        indiquer indiquez parvenir veuillez merci besoin faut demandons telecharger telechargez
        deposer deposez partager partagez adresser adressez donner donnez manque dites dis suivre quel quels
        quelle quelles""",
     r"envoy(?:ez|iez|es|ons)\b|(?<!vous )(?:r?envoyer)\b|r?envoie[sz]?\b|envoi\b"
     r"|fournisse[zs]\b|(?<!vous )fournir\b|fournis\b"
     r"|joindre\b|joigne[zs]?\b|joins\b"
     r"|transmett(?:ez|e)\b|(?<!vous )transmettre\b|transmets\b"
     r"|repond(?:re|ez|ant)\b|confirm(?:er|ez)\b|verifi(?:er|ez)\b|saisi(?:r|ssez)\b|entr(?:er|ez)\b"
     r"|renseign(?:er|ez)\b|(?<!vous )communiquer\b|communiquez\b|indiqu(?:er|ez)\b"
     r"|(?:faire|fassiez)\s+parvenir\b|veuillez\b|merci\s+de\s+(?!votre|vos|notre|nos)"
     r"|(?:avons|aurions|aurons|ai|aurais)\s+besoin\b|(?:il\s+)?nous\s+faut\b|(?:nous\s+)?(?:vous\s+)?demandons\b"
     r"|telecharg(?:er|ez)\b|depos(?:er|ez)\b|partag(?:er|ez)\b|adress(?:er|ez)\b|donn(?:er|ez)\b"
     r"|(?:il\s+)?(?:nous|me)\s+manque\b|manque\s+encore\b|(?:il\s+)?manque\s+(?:a|au|dans)\b|(?:dites|dis)-(?:moi|nous)\b"
     r"|faire\s+suivre\b|(?:quel|quels|quelle|quelles)\s+(?:est|sont)\s+(?:votre|vos|ton|ta|tes)\b"),
    # DE ("senden" is also "wir senden Ihnen ...")
    ("""senden schicken zusenden bestatigen sende schick schicke gib teile teil nenne nenn lade antworte
        bestatige ubermittle geben teilen nennen laden antworten reichen legen fugen hangen stellen lassen
        bitten bitte fehlt fehlen sagen sag lautet lauten konnten konnen wurden wollen mochten waren""",
     r"(?<!wir )(?<!ich )(?:senden|schicken|zusenden|bestatigen)\b(?!\s+(?:ihnen|dir|euch|wir)\b)"
     r"|(?:sende|schick|schicke|gib|teile?|nenne?|lade|antworte|bestatige|ubermittle)\s+(?:uns|mir)\b"
     r"|(?:geben|teilen|nennen|laden|antworten|reichen|fugen|hangen|stellen|lassen)\s+sie\b"
     r"|(?:bitten|bitte)\s+(?:wir\s+)?(?:sie\s+)?um\b|bitten\s+wir\s+sie\b|wir\s+bitten\s+sie\b"
     r"|fehl(?:t|en)\s+(?:uns\s+|mir\s+)?noch\b|fehl(?:t|en)\s+(?:in|bei)\s+ihre[rm]\b|(?:uns|mir)\s+fehl(?:t|en)\b"
     r"|sagen\s+sie\s+(?:uns|mir)\b|sag\s+(?:uns|mir)\b"
     r"|(?:wie|was)\s+(?:lautet|lauten|ist|sind)\s+(?:ihre?|deine?)\b"
     r"|(?:konnten|konnen|wurden|wollen|mochten)\s+sie\s+(?:\w+\s+)?(?:uns|mir)\b|waren\s+sie\s+so\s+(?:freundlich|nett)\b"),
    # ES / PT ("le enviaremos", "vamos enviar-lhe" are the sender's)
    ("""enviar mandar remitir facilitar proporcionar llegar pedimos rogamos solicitamos informe envia manda mandame
        mandanos pasas pasa pase pasan passa
        passe passas passam falta faltan faltam diga diz dices dice fala fale cual cuales qual quais
        regala regalas regale regaleme regalame envias envie mandas mande chegar agradeceria agradeceriamos
        agradecemos agradeciamos agradeco agradecia""",
     r"(?<!le )(?<!te )(?<!les )(?<!vamos a )(?<!vamos )(?<!lhe )(?:enviar|mandar|remitir|facilitar|proporcionar)\b"
     r"|(?:haga|hagan|hacer|hacernos|haganos)\s+(?:\w+\s+)?llegar\b"
     r"|(?:le|les|te|lhe)\s+(?:pedimos|rogamos|solicitamos)\b|pedimos(?:-lhe)?\s+que\b"
     r"|(?<!el )(?<!o )(?<!un )(?<!um )informe\b"
     r"|(?<!le )(?<!te )(?<!les )(?<!se )(?<!lhe )envia\b|(?:envia|manda)-(?:me|nos)\b|mandame\b|mandanos\b"
     r"|(?:me|nos)\s+(?:pasas|pasa|pase|pasan|passa|passe|passas|passam)\b|passa-(?:me|nos)\b"
     r"|(?:nos|me)\s+falta(?:n)?\b|falta(?:n|m)?\s+(?:en|no|na|nos|nas|al|ao|a)\s+(?:su|sus|tu|seu|sua|o|a|el|la)\b|(?:ainda|todavia|aun)\s+falta(?:m|n)?\b|falta(?:m|n)?\s+(?:ainda|todavia|aun)\b"
     r"|diga-(?:me|nos)\b|(?:me|nos)\s+(?:diga|diz|dices|dice|fala|fale)\b|(?:fala|fale)-(?:me|nos)\b"
     r"|(?:cual|cuales|qual|quais)\s+(?:es|son|e|sao)\s+(?:su|sus|tu|tus|o\s+seu|a\s+sua|o\s+teu|a\s+tua|seu|sua)\b"
     r"|(?:me|nos)\s+(?:regala|regalas|regale|manda|mandas|mande|envia|envias|envie)\b"
     r"|(?<!te )(?<!lhe )(?<!le )(?<!se )(?:manda|envia|passa|pasa)\s+(?:(?:o|a|os|as)\s+)?(?:teu|tua|teus|tuas|tu|tus)\b|regaleme\b|regalame\b"
     r"|(?:agradeceria|agradeceriamos|agradecemos|agradeciamos|agradeco|agradecia)\s+que\s+(?:nos|me)\b|(?:fazer|faca|facam|fazer-nos|faz)\s+(?:\w+\s+)?chegar\b"),
    # IT
    ("""invia inviare avere pervenire bisogno serve servono occorre occorrono giri gira girate dici dica dite risulta risultano
        chiediamo preghiamo prega manca mancano qual manda mandi mandate invii inviate inoltra inoltri gireresti
        girerebbe rimanda rimandi manderebbe invierebbe manderesti invieresti""",
     r"(?<!ti )(?<!vi )(?<!le )invia(?:re)?\b"
     r"|(?:fateci|farci|faccia|fate|fatemi|farmi)\s+(?:avere|pervenire)\b"
     r"|abbiamo\s+bisogno\b|(?:ci|mi)\s+(?:serve|servono|occorre|occorrono)\b"
     r"|(?:mi|ci)\s+(?:giri|gira|girate|dici|dica|dite)\b"
     r"|(?:vi|le|ti)\s+(?:chiediamo|preghiamo)\b|la\s+preghiamo\b|si\s+prega\b"
     r"|(?:ci|mi)\s+manca(?:no)?\b|manca(?:no)?\s+ancora\b|manca(?:no)?\s+(?:nella|nel|nei|nelle|alla|al|in)\b|(?:avrei|avremmo)\s+bisogno\b"
     r"|qual\s+(?:e|sono)\s+(?:il|la|i|le)\s+(?:suo|sua|tuo|tua|vostro|vostra|suoi|sue|tuoi|tue)\b"
     r"|(?:risulta|risultano)\s+(?:ancora\s+)?mancant[ei]\b"
     r"|(?:mi|ci)\s+(?:manda|mandi|mandate|invia|invii|inviate|inoltra|inoltri|gireresti|girerebbe|rimanda|rimandi"
     r"|manderebbe|invierebbe|manderesti|invieresti)\b"),
    # NL
    ("""sturen versturen zenden ons mij me vragen verzoeken graag missen ontbreekt ontbreken laat wat mag
        mogen kunnen""",
     r"(?<!wij )(?<!we )(?<!ik )(?:sturen|versturen|zenden)\b(?!\s+(?:wij|we|u|je|jou)\b)"
     r"|(?:e-?mail|mail|app|whatsapp)\s+(?:ons|mij|me)\b"
     r"|(?:wij|we|ik)\s+(?:\w+\s+)?(?:vragen|verzoeken)\s+(?:u|je|jou)\b|(?:vragen|verzoeken)\s+(?:wij|we)\s+(?:u|je|jou)\b"
     r"|(?:ontvangen|krijgen)\s+(?:wij|we|ik)\s+graag\b|(?:wij|we|ik)\s+(?:ontvangen|krijgen)\s+graag\b"
     r"|graag\s+(?:ontvangen|krijgen)\b"
     r"|(?:we|wij|ik)\s+(?:nog\s+)?(?:\w+\s+)?missen\b|ontbre(?:ekt|ken)\s+(?:nog|ons|in|aan|bij)\b|laat\s+(?:ons|me|mij)\b"
     r"|wat\s+(?:is|zijn)\s+(?:uw|je|jouw)\b|mag\s+ik\b|(?:mogen|kunnen)\s+wij\b"),
    # any language: "write me / us" the data ("just write me your online banking login on an email",
    # "écris-moi les identifiants", "Scrivimi le credenziali", "schreib mir deine IBAN", "escríbeme la clave")
    ("""write ecris ecrivez schreib schreibe schreibt schreiben scrivimi scriveteci scrivici scrivetemi escribeme
        escribenos escribame escreve escreva schrijf""",
     r"write\s+(?:me|us)\b|ecri(?:s|vez)[\s-]+(?:moi|nous)\b|schreib(?:e|t)?\s+(?:mir|uns)\b|schreiben\s+sie\s+(?:mir|uns)\b"
     r"|scrivimi\b|scriveteci\b|scrivici\b|scrivetemi\b|escribeme\b|escribenos\b|escribame\b"
     r"|escrev(?:e|a)[\s-]+(?:me|nos)\b|schrijf\s+(?:me|mij|ons)\b"),
    # any language: to a mail address ("bitte bis Freitag an personal@firma.de:", "graag naar hr@bedrijf.nl")
    ("""an naar to a para per al""",
     r"(?:an|naar|to|a|para|per|al)\s+[\w.+-]+@[\w-]+\.\w"),
)

# Passive cues before the noun ("es necesario su DNI", "è richiesta una copia",
# "ist eine Kopie erforderlich"), in groups as above.
_PASSIVE_BEFORE_GROUPS = (
    ("""erforderlich notwendig benotigt requiere necesita solicita requieren necesitan solicitan necesario
        necesaria necesarios necesarias necessario necessaria necessarios necessarias obligatorio obligatoria
        obligatorios obligatorias obrigatorio obrigatoria obrigatorios obrigatorias imprescindible
        imprescindibles imprescindivel imprescindiveis indispensabile richiesto richiesta debe deben deve devono
        devera deverao debera deberan dovra dovranno""",
     r"(?:ist|sind|wird|werden)\s+(?:\w+\s+)?(?:erforderlich|notwendig|benotigt)\b"
     r"|se\s+(?:requiere|necesita|solicita)n?\b"
     r"|(?:es|e|sao|son)\s+(?:necesari[oa]s?|necessari[oa]s?|obligatori[oa]s?|obrigatori[oa]s?|imprescindibles?"
     r"|imprescindive(?:l|is)|indispensabile)\b"
     r"|e\s+(?:richiest[oa]|necessari[oa])\b"
     r"|(?:debe|deben|deve|devono|devera|deverao|debera|deberan|dovra|dovranno)\s+(?:enviarse|remitirse|adjuntarse"
     r"|(?:essere|ser)\s+(?:inviat|enviad|fornit|facilitad|proporcionad|allegat|adjuntad|anexad|remetid|mandad"
     r"|mandat|trasmess|remitid)[oaie]s?)\b"),
)

# Passive cues on their own, after the noun.
_CUE_AFTER_PLAIN = frozenset(b"""
    erforderlich benotigt notwendig notig hochladen ubermitteln zusenden zuschicken ubersenden zukommen
    angeben eingeben mitteilen einreichen nachreichen bereitstellen beifugen beilegen verifizieren
    imprescindible imprescindibles
    necessario necessaria necessari necessarie obbligatorio obbligatoria obbligatori indispensabile
    indispensabili
    vereist nodig verplicht toesturen opsturen doorsturen mailen doorgeven bijvoegen meesturen aanleveren
    uploaden invullen invoeren bevestigen verstrekken overleggen sturen versturen bezorgen opgeven
    meedelen mededelen insturen delen toekomen
    envienoslo envienosla enviarnoslo enviarnosla mandarmelo mandarmela mandamelo mandamela envialo
    enviala enviarlo enviarla adjuntelo adjuntela adjuntelos adjuntelas adjuntarlo adjuntarla
    facilitenoslo facilitenosla
    allegarlo allegarla allegalo allegala inviarcelo inviarcela inviarmelo inviarmela inviarlo inviarla
    mandarcelo mandarcela caricarlo caricarla
    missing fehlt fehlen manque manquent falta faltan faltam manca mancano ontbreekt ontbreken
    respondiendo rispondendo respondendo
    obrigatorio obrigatoria obrigatorios obrigatorias exigido exigida exigidos exigidas imprescindivel
    weiterleiten weiterzuleiten mitzuteilen zuzusenden zuzuschicken zustellen zuzustellen nennen anzugeben
    einzureichen nachzureichen hochzuladen zuzuleiten
    mandarnosla mandarnoslo mandarnoslas mandarnoslos enviarnoslas enviarnoslos mandarmelas mandarmelos
    stuurt mailt opstuurt toestuurt doorstuurt vorzulegen
    mandacelo mandacela inviacelo inviacela mandatecelo mandatecela inviatecelo inviatecela mandenoslo mandenosla
""".split())

# Passive cues (and verbs with the object pronoun before them), searched in the
# part of the sentence after the noun, in groups as above.
_CUE_AFTER_GROUPS = (
    # DE separable "eintragen" / NL "invullen" split around the noun, into a form or field
    # ("tragen Sie bitte Ihr Kennwort in das verlinkte Formular ein", "vul je pincode in het formulier in")
    ("""ein in""",
     r"in\s+(?:das|dem|unser|unserem|dieses|diesem|folgende|folgendes|het|dit|ons|onderstaand|onderstaande)\s+"
     r"(?:[\w-]+\s+){0,2}?(?:formular|feld|eingabefeld|maske|formulier|veld|invulveld)\s+(?:[\w-]+\s+){0,4}?(?:ein|in)\b"),
    # EN / FR / DE / ES
    ("""required needed necessary mandatory sent provided submitted uploaded attached included
        emailed mailed verified confirmed
        requis requise requises necessaire necessaires obligatoire obligatoires exige exigee exiges
        exigees demande demandee demandes demandees envoyer transmettre fournir retourner joindre
        parvenir communiquer etre
        erforderlich benotigt notwendig hochladen senden schicken ubermitteln zusenden zukommen
        bestatigen angeben eingeben mitteilen bei
        necesario necesaria necesarios necesarias obligatorio obligatoria obligatorios obligatorias
        requerido requerida requeridos requeridas""",
     r"(?:is|are)\s+(?:also\s+|now\s+|still\s+)?(?:required|needed|necessary|mandatory)\b"
     r"|(?:must|should|needs?\s+to|has\s+to|have\s+to|to)\s+be\s+(?:sent|provided|submitted|uploaded|attached|included"
     r"|e-?mailed|verified|confirmed)\b"
     r"|(?:est|sont)\s+(?:egalement\s+)?(?:requis|requises?|necessaires?|obligatoires?|exigee?s?|demandee?s?)\b"
     r"|a\s+(?:nous\s+)?(?:envoyer|transmettre|fournir|retourner|joindre|faire\s+parvenir|communiquer)\b"
     r"|(?:doit|doivent|devra|devront)\s+(?:nous\s+)?etre\s+(?:transmise?s?|envoyee?s?|fournie?s?|communiquee?s?"
     r"|jointe?s?|adressee?s?|retournee?s?)\b"
     r"|erforderlich\b|benotigt\b|notwendig\b|hochladen\b|senden\b|schicken\b|ubermitteln\b|zusenden\b"
     r"|zukommen\s+lassen\b|bestatigen\b|angeben\b|eingeben\b|mitteilen\b|(?<=^\s)bei(?=\s*$)|(?<=^)bei(?=\s*$)"
     r"|es\s+(?:necesari[oa]|obligatori[oa]|requerid[oa])\b|(?:son\s+)?(?:necesari[oa]s|obligatori[oa]s|requerid[oa]s)\b"),
    # IT / PT / ES / FR: "è richiesto", "va inviato", "deve essere inviato", "me l'envoyer", "mandarme", "anexá-la"
    ("""richiesto richiesta richiesti richieste necessario necessaria necessarios necessarias solicitado
        solicitada solicitados solicitadas inviare inviari inviato inviata inviati inviate allegare allegari
        allegato allegata allegati allegate fornire forniri fornito fornita forniti fornite caricare caricari
        caricato caricata caricati caricate essere ser
        envoyer renvoyer transmettre joindre parvenir communiquer confirmer adresser
        mandar enviar pasar passar facilitar remeter mandare girare anexa envia manda mande envie anexe""",
     r"(?:e|sono|sao)\s+(?:richiest[oaie]|necessari[oa]s?|solicitad[oa]s?)\b"
     r"|(?:da|va|vanno)\s+(?:inviar[ei]|inviat[oaie]|allegar[ei]|allegat[oaie]|fornir[ei]|fornit[oaie]|caricar[ei]"
     r"|caricat[oaie])\b"
     r"|(?:deve|devono|debe|deben)\s+(?:essere|ser)\s+(?:inviat|fornit|caricat|allegat|enviad|facilitad|proporcionad"
     r"|adjuntad|anexad)"
     rf"|(?:me|nous|m{_AP}|nous\s+l{_AP}|me\s+l{_AP}|l{_AP})\s*(?:r?envoyer|transmettre|joindre|faire\s+parvenir|communiquer"
     r"|confirmer|adresser)\b"
     r"|(?:le|la|les)\s+(?:joindre|confirmer|transmettre|envoyer)\b"
     r"|(?:me|nos|mi|ci|me\s+l[oa]|nos\s+l[oa])\s+(?:mandar|enviar|pasar|passar|facilitar|remeter|mandare|inviare|girare)\b"
     r"|(?:anexa|envia|manda|mande|envie|anexe)-(?:l[oa]s?|me|nos)\b"),
    # the noun, then "and send it" (EN FR DE ES PT IT NL); Dutch passives; "muss uns ... vorliegen"
    ("""and et und y e en worden wordt vorliegen para pra""",
     r"and\s+(?:then\s+)?(?:send|e-?mail|attach|forward|reply|mail|text|whatsapp)\b"
     r"|et\s+(?:nous\s+|me\s+)?(?:l'\s*|le\s+|la\s+|les\s+)?(?:envoyez|envoyer|transmettez|transmettre|adressez"
     r"|adresser|joignez|joindre|renvoyez)\b"
     r"|und\s+(?:[\w.@-]+\s+){0,4}?(?:senden|schicken|mailen|ubermitteln|zusenden|zuschicken|weiterleiten)\b"
     r"|y\s+(?:(?:nos|me)\s+)?(?:mande|manden|mandenos|mandar|mandarnos|mandarnosla|mandarnoslo|mandarme|envie|envien"
     r"|envienos|enviar|enviarnos|enviarnosla|enviarnoslo|enviarme|remita|remitanos|remitir|reenvie|reenvienos)\b"
     r"|e\s+(?:(?:nos|me)\s+)?(?:mande|mandem|mandar|envie|enviem|enviar|encaminhe|encaminhar|remeta|remeter)\b"
     r"|e\s+(?:(?:ce|me|glie)\s*l[oaie]\s+|ci\s+|mi\s+)?(?:mandaci|inviaci|invii|mandi|inviate|mandate|inoltri"
     r"|inoltrate|inviarla|inviarlo|inviarcela|inviarcelo|mandarcela|mandarcelo|mandarla|mandarlo)\b"
     r"|en\s+(?:\w+\s+)?(?:stuur|mail|stuurt|mailt|verstuur)\b"
     r"|(?:worden|wordt)\s+(?:op|toe|door)?gestuurd\b|(?:op|toe|door)?gestuurd\s+(?:worden|wordt)\b"
     r"|ge-?maild\s+(?:worden|wordt)\b|(?:worden|wordt)\s+ge-?maild\b"
     r"|uns\s+(?:[\w-]+\s+){0,8}?vorliegen\b"
     r"|(?:mandar|enviar|encaminhar|remeter|mande|envie)\s+(?:para|pra)\s+(?:a\s+gente|nos|mim)\b"),
    # the noun in a reason clause, then the request with a pronoun ("comme l'administration exige votre numéro
    # fiscal, merci de nous le communiquer", "como Hacienda exige el NIE, le agradeceríamos que nos lo indicara",
    # "... le chiediamo di trasmetterci quello di sua figlia", "as HMRC requires your UTR, please send it to us")
    ("""send email e mail forward provide give text communiquer transmettre envoyer renvoyer retransmettre parvenir
        indiquer adresser confirmer fournir indique indicara indicase envie enviara enviase mande mandara facilite
        facilitara remita remitiera comunique comunicara llegar trasmetterci inviarci mandarci comunicarci fornirci
        indicarci girarci invii mandi comunichi trasmetta indichi inoltri giri senden schicken nennen teilen
        ubermitteln geben stuur geef mail""",
     r"(?:send|e-?mail|forward|provide|give|text)\s+(?:it|them|this|that)\s+(?:back\s+)?(?:to|with)\s+(?:us|me)\b"
     r"|(?:send|give|provide|forward)\s+(?:us|me)\s+(?:it|them|this|that)\b"
     r"|(?:nous|me)\s+(?:le|la|les)\s+(?:communiquer|transmettre|r?envoyer|retransmettre|faire\s+parvenir|indiquer"
     r"|adresser|confirmer|fournir)\b"
     r"|(?:nos|me)\s+(?:lo|la|los|las)\s+(?:indique|indicara|indicase|envie|enviara|enviase|mande|mandara|facilite"
     r"|facilitara|remita|remitiera|comunique|comunicara|(?:haga|hiciera)\s+llegar)\b"
     r"|(?:trasmetterci|inviarci|mandarci|comunicarci|fornirci|indicarci|girarci)\s+(?:anche\s+)?quell[oaie]\b"
     r"|ce\s+l[oaie]\s+(?:invii|mandi|comunichi|trasmetta|indichi|inoltri|giri)\b"
     r"|(?:senden|schicken|nennen|teilen|ubermitteln|geben)\s+sie\s+(?:ihn|sie|es|diese)\s+uns\b"
     r"|(?:stuur|geef|mail)\s+(?:het|hem|deze|dit)\s+(?:aan\s+)?ons\b"),
    # the code sent to the reader, to be sent back ("could you send that code back to me by email")
    ("""back""",
     r"(?:send|forward|text|e-?mail|give|read)\s+(?:\w+\s+)?(?:it|that\s+code|this\s+code|the\s+code)\s+back\b"),
    # Dutch "te" infinitives: "(verzoeken u / bent u verplicht) een kopie van uw rijbewijs aan te leveren",
    # "uw wachtwoord in te voeren op http://...", "dit nummer per mail aan ons te bezorgen"
    ("""te""",
     r"(?:in|op|toe|door|aan|mee)\s+te\s+(?:voeren|vullen|geven|sturen|leveren|zenden|typen)\b"
     r"|te\s+(?:sturen|versturen|mailen|bezorgen|e-mailen)\b"),
    # "Votre IBAN nous serait utile", "ci sarebbe utile", "nos sería útil", "uns wäre hilfreich"
    ("""utile utiles util utili hilfreich nutzlich nuttig necessaire necessaires indispensable indispensables""",
     r"(?:nous|nos|ci|uns|ons|me|mi)\s+(?:serait|seraient|est|sont|seria|serian|sarebbe|sarebbero|ware|waren|ist"
     r"|sind|e|sono|zou|zouden|is|sera)\s+(?:\w+\s+){0,2}?(?:utile|utiles|util|utili|hilfreich|nutzlich|nuttig"
     r"|necessaire|necessaires|indispensable|indispensables)\b"),
)


def _cue_regexes(groups, plain):
    """The gated group regexes, the union of the phrases and the full cue regex
    (phrases or plain words) of a cue table."""
    parts = tuple((frozenset(trig.encode().split()), re.compile(r"\b(?:" + phr + ")")) for trig, phr in groups)
    phrases = r"\b(?:" + "|".join(phr for _, phr in groups) + ")"
    if plain:
        phrases += "|(?<![a-z0-9])(?:" + "|".join(sorted(w.decode() for w in plain)) + ")(?![a-z0-9])"
    full = re.compile(phrases)
    return parts, frozenset().union(*(trig for trig, _ in parts)), full


_CUE_BEFORE_PARTS, _CUE_BEFORE_TRIGGERS, _CUE_BEFORE = _cue_regexes(_CUE_BEFORE_GROUPS, _CUE_BEFORE_PLAIN)
_CUE_AFTER_PARTS, _CUE_AFTER_TRIGGERS, _CUE_AFTER = _cue_regexes(_CUE_AFTER_GROUPS, _CUE_AFTER_PLAIN)
_PASSIVE_BEFORE_PARTS, _PASSIVE_BEFORE_WORDS, _PASSIVE_BEFORE = _cue_regexes(_PASSIVE_BEFORE_GROUPS, frozenset())
#: Words of any cue: a window without any of them holds no cue.
_CUE_BEFORE_WORDS = _CUE_BEFORE_TRIGGERS | _CUE_BEFORE_PLAIN
_CUE_AFTER_WORDS = _CUE_AFTER_TRIGGERS | _CUE_AFTER_PLAIN


def _words(s: str) -> list[bytes]:
    """Words of normalised (ASCII) text, punctuation removed."""
    return s.encode("ascii").translate(_SEPARATORS).split()


def _gated_search(parts, text: str, words: list[bytes], union: frozenset[bytes] | None = None) -> bool:
    """Whether a group of ``parts`` (trigger words, regex) whose triggers are in
    ``words`` (the words of ``text``) matches ``text`` (``union``: all the
    triggers, a first test)."""
    if union is not None and union.isdisjoint(words):
        return False
    for trig, rx in parts:
        if not trig.isdisjoint(words) and rx.search(text) is not None:
            return True
    return False


def _has_cue(pre: str, post: str) -> bool:
    """Whether ``pre`` holds an active request cue or ``post`` a passive one."""
    return _cue_in(pre, post, _words(pre), _words(post))


def _cue_in(pre: str, post: str, pre_words: list[bytes], post_words: list[bytes]) -> bool:
    """:func:`_has_cue` once the words of ``pre`` and ``post`` are known (the
    phrase regexes run only where one of their trigger words is present)."""
    return _cue_before(pre, pre_words) or _cue_after(post, post_words)


def _cue_before(pre: str, pre_words: list[bytes]) -> bool:
    """Whether ``pre`` (its words: ``pre_words``) holds an active cue."""
    return (not _CUE_BEFORE_PLAIN.isdisjoint(pre_words)
            or _gated_search(_CUE_BEFORE_PARTS, pre, pre_words, _CUE_BEFORE_TRIGGERS))


def _cue_after(post: str, post_words: list[bytes]) -> bool:
    """Whether ``post`` (its words: ``post_words``) holds a passive cue."""
    return (not _CUE_AFTER_PLAIN.isdisjoint(post_words)
            or _gated_search(_CUE_AFTER_PARTS, post, post_words, _CUE_AFTER_TRIGGERS))


# The noun first, then a colon and the request: "Your IBAN: please reply with it",
# "Votre permis de conduire : merci de nous l'envoyer", "La patente: mandaci una foto".
_COLON = re.compile(r"\s*(?:[\w-]+\s+){0,1}[\w-]*\s*:\s*")


def _colon_cue(post: str, post_words: list[bytes]) -> bool:
    """Whether ``post`` (its words: ``post_words``) opens with a colon and an active cue."""
    if _CUE_BEFORE_WORDS.isdisjoint(post_words):
        return False
    m = _COLON.match(post)
    if m is None:
        return False
    rest = post[m.end():]
    return _cue_before(rest, _words(rest))


def _passive_before(pre: str, pre_words: list[bytes]) -> bool:
    """Whether ``pre`` (its words: ``pre_words``) holds a passive cue ("es necesario ...")."""
    return _gated_search(_PASSIVE_BEFORE_PARTS, pre, pre_words, _PASSIVE_BEFORE_WORDS)


# A document that "is required" is often one to show in person ("a valid
# passport is required to board"): a passive cue asks for a document only when
# what is asked can travel by mail (a copy, a scan, a photo, a number, details)
# or the sentence speaks of mail.
_DOCUMENTS = frozenset(("id_document", "passport", "drivers_licence"))
_TRANSFERABLE = re.compile(
    r"cop(?:y|ies)|copie|copia|kopie|scan|photo|foto|picture|image|imagen|immagine|imagem|selfi|number|numero|nummer"
    r"|details|daten|datos|dati|dados|donnees|gegevens|angaben|digits|digitos|cifre|digitaliza|photocopi|fotocopi"
)


def _transferable(t: str, s: int, e: int, words: list[bytes]) -> bool:
    """Whether the document at ``t[s:e]`` is asked for in a form that travels by
    mail (see :data:`_TRANSFERABLE`), or its sentence (words: ``words``) speaks of mail."""
    return (_TRANSFERABLE.search(t, max(0, s - 50), e + 30) is not None or not _MAIL_IN_SENTENCE.isdisjoint(words)
            or "@" in t[max(0, s - _BEFORE) : e + _AFTER])


# ---------------------------------------------------------------------------
# guards

# Negation / prohibition / warnings about other people's requests: single words
# (a set test) and phrases (a regex, run only when one of its trigger words is present).
_NEGATION_WORDS = frozenset(b"""
    never nobody beware suspicious scam scams scammer scammers fraudster fraudsters criminal
    criminals phishing phishers phisher
    jamais aucun aucune mefiez mefier mefiance mefie escroc escrocs escroquerie fraudeur fraudeurs
    arnaque arnaques arnaqueur arnaqueurs cybercriminel cybercriminels hameconnage frauduleux frauduleuse
    frauduleuses
    niemals kein keine keinem keinen keiner keines keinesfalls betruger betrugerische
    betrugerischen betrugsversuch betrugsversuche gefalschte gefalschten
    nunca jamas estafador estafadores estafa estafas fraudulento fraudulentos fraudulenta fraudulentas
    ciberdelincuentes delincuentes desconfie desconfien
    truffatori truffatore truffa truffe malintenzionati fraudolento fraudolenti fraudolenta fraudolente
    diffidate diffida
    nooit geen oplichters oplichter oplichting fraudeurs criminelen
    golpistas golpista burloes burla burlas fraudadores criminosos
    refrain niemand niemandem niemanden weder nadie nessuno ninguem ninguno inutile innecesario
""".split())
# Negation phrases in groups (trigger words, regex), as for the cues; the
# look-aheads list the first letters of a group's alternatives: a cheap early exit.
_NEGATION_GROUPS = (
    # EN / FR
    ("""no do does will would should must shall may don doesn won wouldn shouldn mustn not be ne n pas
        plus dont doesnt wont wouldnt shouldnt mustnt""",
     r"(?=[nbdwsmpuoia])(?:"
     # not "no need to go into town" (another errand, not the data)
     r"no\s+one\b|no\s+longer\b(?!\s+(?:valid|accepted|sufficient|enough|current|up\s+to\s+date))|no\s+need\b(?!\s+(?:for\s+you\s+)?to\s+(?:go|come|visit|call|phone|travel|queue|wait|worry|drive|print|pop)\b)"
     # not "don't forget", and not "we (still) don't have your SSN" (it is missing: a request, unless
     # "don't have to")
     rf"|(?<!so\syou\s)(?<!so\sthat\syou\s)(?<!so\sit\s)(?<!so\swe\s)(?:do|does|will|would|should|must|shall|may)\s*(?:not\b|n{_AP}t\b)(?!\s+(?:forget|hesitate|ignore|delay|wait|miss))"
     r"(?!\s+(?:yet\s+)?(?:have|got)\b(?!\s+to\b))"
     # not a negated purpose after the request ("... so you don't end up on an emergency tax code")
     rf"|(?<!so\syou\s)(?<!so\sthat\syou\s)(?<!so\sit\s)(?<!so\swe\s)(?:don|doesn|won|wouldn|shouldn|mustn){_AP}t\b(?!\s+(?:forget|hesitate|ignore|delay|wait|miss))"
     r"(?!\s+(?:yet\s+)?(?:have|got)\b(?!\s+to\b))"
     # informal spelling without the apostrophe ("pls dont email me ...")
     r"|(?<!so\syou\s)(?<!so\sthat\syou\s)(?<!so\sit\s)(?<!so\swe\s)(?:dont|doesnt|wont|wouldnt|shouldnt|mustnt)\b(?!\s+(?:forget|hesitate|ignore|delay|wait|miss))"
     r"(?!\s+(?:yet\s+)?(?:have|got)\b(?!\s+to\b))"
     r"|not\s+(?:be\s+)?(?:required|needed|necessary|ask|request)"
     r"|be\s+(?:wary|careful|cautious)|under\s+no\s+circumstances|on\s+no\s+account|in\s+no\s+case|at\s+no\s+time"
     # not German colloquial "ne" (= eine: "schick mir noch ne Kopie")
     r"|(?<!noch )(?<!mal )(?<!mir )(?<!uns )(?<!bitte )(?<!kurz )(?<!einfach )(?<!schnell )(?<!auch )"
     # not the restrictive "ne ... que" ("il ne nous manque plus qu'une copie de votre permis")
     rf"ne\s+(?!pas\s+(?:oubli|hesit|ignor|tard))"
     r"(?!(?:nous\s+|vous\s+|me\s+|te\s+|lui\s+|leur\s+)?(?:manque|manquent|reste|restent|faut|attendons|attend)"
     r"\s+(?:plus\s+|donc\s+|maintenant\s+)?qu)"
     # "ne suffit plus", a statement of insufficiency ("la carte d'identité ne suffit plus : ... passeport")
     r"(?!(?:suffit|suffisent|suffira)\b)"
     rf"|n{_AP}\s*(?!oubli|hesit|ignor|attend)(?!y\s+a\s+plus\s+qu)"
     # "votre précédent RIB n'étant plus valable" (no longer valid)
     r"(?!(?:est|etant|sont|etait|etaient)\s+plus\s+(?:valable|valide|a\s+jour)s?\b)"
     r"|pas\s+(?:besoin|necessaire)|plus\s+besoin"
     r")"),
    # EN / FR: messages or people that ask for data (the verbs are the triggers)
    ("""ask asks asking asked request requests requesting requested demande demandent demandant demander demandera
        demanderont demandez demandait demandaient sollicite sollicitent sollicitant solliciter sollicitera
        reclame reclament reclamant reclamer""",
     r"(?=[emcspwtaq])(?:"
     r"(?:e-?mails?|messages?|calls?|someone|anyone|people|sms|texts?|websites?|sites?)\s+(?:that\s+|who\s+|which\s+)?"
     r"(?:ask|request)(?:s|ing|ed)?\b"
     r"|(?:courriels?|e-?mails?|messages?|appels?|sms|quelqu.un|personne)\s+(?:qui\s+)?(?:vous\s+)?"
     r"(?:demand|sollicit|reclam)(?:e|ent|ant|er|era|eront|ez|ait|aient)\b"
     r")"),
    # ES / IT / PT: "no" / "non" / "nao" (+ pronouns) + a verb of asking or giving; DE "nie"; "be careful"
    ("""no non nao mai nie seien tenga fate prestate wees tenha cuidado ningun nessun algum nenhuma""",
     r"(?=[nmstfwcebid])(?:"
     r"no\s+(?:(?:le|te|les|nos|lo|la|los|las|se)\s+)*(?:pedi|pid|solicit|compart|envi|revel|proporcion|facilit"
     r"|es\s+necesari|deb|mand|comuniqu|divulg|de\b|des\b|requer|necesit|respond|conteste|introduzc|escrib|indiqu|adjunt"
     r"|remit|incluy|sub|ingres(?:e|es|en|ar)\b|tecle|digit|introduc)"
     r"|non\s+(?:(?:vi|ti|le|ci|lo|la|li|gli|mai|e)\s+)*(?:chied|richied|condivid|comunic|invi|rivel|forn|serv|necessari"
     r"|richiest|dov|dev|mand|divulg|dar|date|dia|rispond|inser|digit|scriv|indic|alleg|trasmett)"
     r"|mai\s+(?:\w+\s+)?(?:condivid|comunic|divulg|invi|rivel|forn|chied|richied|dar|dat|inser|scriv|dir|mand|rispond"
     r"|trasmett)"
     r"|nao\s+(?:(?:lhe|te|nos|o|a|os|as|se|e)\s+)*(?:pedi|pede|solicit|compartilh|partilh|envi|revel|forne|divulg"
     r"|necessari|dev|mand|precis|inform|digit|insir|respond|indiqu|comuniqu|anex|remet|inclu|carreg|encaminh|introduz"
     r"|coloqu|preench)"
     # DE "nie" (never), not the Spanish NIE ("su NIE", "DNI o NIE")
     r"|(?<!de )(?<!su )(?<!tu )(?<!el )(?<!del )(?<!o )(?<!y )(?<!un )(?<!/)nie\b"
     r"|seien\s+sie\s+vorsichtig|tenga\s+cuidado|(?:fate|prestate)\s+attenzione|wees\s+(?:alert|voorzichtig)"
     r"|tenha\s+cuidado|cuidado\s+co[nm]\b"
     r"|(?:en|bajo)\s+ningun\s+(?:caso|concepto|momento)|(?:in|per)\s+nessun\s+(?:caso|motivo)|em\s+caso\s+algum"
     r"|em\s+nenhuma\s+circunstancia|de\s+modo\s+algum"
     r")"),
    # DE / ES / IT / NL / PT: messages that ask for data (the verbs are the triggers)
    ("""fragen fragt verlangen verlangt auffordern fordern anfordern pidan piden pide pidiendo soliciten
        solicitan solicita solicitando exijan exigen chiedono chiedano chiede richiedono richiedano richiede
        vragen vraagt verzoeken verzoekt pecam pedem pede pedindo solicitem solicitam exigem""",
     r"(?=[enacmltbs])(?:"
     r"(?:e-?mails?|nachrichten|anrufe|anrufer|correos?|mensajes?|llamadas|messaggi|chiamate|telefonate|berichten"
     r"|mails|mensagens|chamadas|sms)\s*,?\s+(?:die|que|che|dat|welke|waarin)\s+(?:\w+\s+){0,4}?"
     r"(?:fragen|fragt|verlangen|verlangt|auffordern|fordern|anfordern|pidan|piden|pide|pidiendo|soliciten|solicitan"
     r"|solicita|solicitando|exijan|exigen|chiedono|chiedano|chiede|richiedono|richiedano|richiede|vragen|vraagt"
     r"|verzoeken|verzoekt|pecam|pedem|pede|pedindo|solicitem|solicitam|exigem)\b"
     r")"),
)
_NEGATION_GROUPS += (
    # stop sending it ("por favor deixem de enviar fotocópias dos cartões de cidadão por e-mail")
    ("""stop arretez cessez dejen deje dejad smettete smetta smettila smettere deixe deixem pare parem horen hort""",
     rf"stop\s+(?:sending|emailing|e-mailing|forwarding|sharing)|(?:arretez|cessez)\s+d{_AP}?\s*(?:envoyer|transmettre|partager)"
     r"|(?:dejen|deje|dejad)\s+de\s+(?:enviar|mandar|reenviar|compartir)|(?:smettete|smetta|smettila|smettere)\s+di\s+(?:inviare|mandare|inoltrare|condividere)"
     r"|(?:deixe|deixem|pare|parem)\s+de\s+(?:enviar|mandar|reencaminhar|partilhar|compartilhar)"
     r"|(?:horen\s+sie|hort)\s+(?:bitte\s+)?auf\b"),
    # messages in which data is asked for, passive ("valse e-mails ... waarin om inloggegevens wordt gevraagd",
    # "E-Mails, in denen nach Ihrem Passwort gefragt wird", "correos en los que se piden sus claves")
    ("""gevraagd gefragt verlangt gefordert angefordert pide piden solicita solicitan chiede chiedono pede pedem""",
     r"(?:e-?mails?|nachrichten|berichten|correos?|mensajes?|messaggi|mensagens|sms)\s*,?\s+(?:[\w-]+\s+){0,7}?"
     r"(?:waarin|in\s+denen|in\s+der|en\s+(?:los|las)\s+que|in\s+cui|nei\s+quali|em\s+que|nas\s+quais|nos\s+quais)\s+"
     r"(?:\w+\s+){0,5}?(?:(?:wordt|worden|werd|werden)\s+gevraagd|gevraagd\s+(?:wordt|worden)"
     r"|(?:gefragt|verlangt|gefordert|angefordert)\s+(?:wird|werden)|se\s+(?:pide|piden|solicita|solicitan)"
     r"|si\s+(?:chiede|chiedono)|(?:viene|vengono)\s+(?:chiest|richiest)|se\s+(?:pede|pedem))\b"),
    # DE / NL "nicht" / "niet", but not in "don't forget" ("Vergeet niet ons ... te sturen", "vergessen Sie nicht")
    ("""nicht niet""",
     r"(?<!vergessen\ssie\s)(?<!vergiss\s)(?<!reicht\s)(?<!reichen\s)nicht\b(?!\s+(?:zu\s+)?vergessen\b)"
     r"(?!\s+(?:mehr\s+)?(?:gultig|aus\b|ausreichend|aktuell))"
     r"|(?<!vergeet\s)(?<!vergeet\su\s)(?<!vergeet\sje\s)(?<!vergeten\s)niet\b(?!\s+(?:te\s+)?vergeten\b)"
     r"(?!\s+(?:meer\s+)?(?:geldig|voldoende|genoeg|actueel))"),
)
_NEGATION_PARTS = tuple((frozenset(trig.encode().split()), re.compile(r"\b" + rx)) for trig, rx in _NEGATION_GROUPS)
_NEGATION_TRIGGERS = frozenset().union(*(trig for trig, _ in _NEGATION_PARTS))
_NEGATION = re.compile(r"\b(?:" + "|".join(rx for _, rx in _NEGATION_GROUPS) + ")")


def _negated(window: str) -> bool:
    words = _words(window)
    return _negation_word(words) or _negation_phrase(window, words)


def _negation_word(words: list[bytes]) -> bool:
    """The word part of :func:`_negated` (``words``: the window's :func:`_words`)."""
    return not _NEGATION_WORDS.isdisjoint(words)


def _negation_phrase(window: str, words: list[bytes]) -> bool:
    """The phrase part of :func:`_negated`: the regexes, each run only when one of its trigger words is present."""
    return _gated_search(_NEGATION_PARTS, window, words, _NEGATION_TRIGGERS)


# The sender's own data right before the noun ("our IBAN", "notre RIB", "my
# passport", "unsere IBAN", "il nostro IBAN", "ons rekeningnummer", "o nosso IBAN").
# Words that are also "us" / "me" ("nos envíe su DNI", "mi invii il tuo IBAN",
# "stuur ons uw IBAN") count only right before it.
_OWN_BEFORE = re.compile(
    r"\b(?:(?:our|my|notre|mon|unser(?:e[mnrs]?)?|mein(?:e[mnrs]?)?|nuestr[oa]s?|nostr[oaie]|onze"
    r"|mijn|noss[oa]s?|meus?|minhas?)\s+(?:[\w'\u2019-]+\s+){0,2}"
    r"|(?:nos|ons|ma|mes|mis?|mio|mia|miei|mie)\s+)$"
)

# A value written right after the noun ("IBAN: FR76 ...", "code is 123456", "Code lautet 123456").
_VALUE_AFTER = re.compile(
    r"\s*(?:is\b|est\b|ist\b|lautet\b|es\b|e\b|:|=|#)?\s*(?:[a-z]{2}\d{2}|\d{3}|\d[\d \-]{3}|\(?\s*[*]{3,}\s*\w)"
)

# Shown in person when boarding: a document guard, and a block of the scorer's rescue.
_BOARDING = (
    r"a\s+l\s*'?\s*embarquement|(?:at|during|for)\s+(?:boarding|check-in)|beim\s+(?:boarding|check-in|einsteigen)"
    r"|al\s+(?:embarcar|embarque)|all\s*'?\s*imbarco|bij\s+het\s+(?:boarden|inchecken|instappen)|no\s+(?:embarque|check-in)"
    # or otherwise in person: at the entrance, "en persona", "preséntese con", at the town hall
    r"|in\s+person|en\s+personne|en\s+persona|em\s+pessoa|di\s+persona|in\s+persoon|personlich"
    r"|(?:at|by)\s+the\s+entrance|a\s+l\s*'?\s*entree|am\s+eingang|a\s+la\s+entrada|all\s*'?\s*ingresso|bij\s+de\s+ingang"
    r"|na\s+entrada|presentese\s+con|presentarse\s+con|presentez-vous\s+(?:avec|muni)|presentarsi\s+con|apresente-se\s+com"
    r"|(?:aan|vraag|vraagt)\s+(?:[\w-]+\s+){0,5}?bij\s+de\s+gemeente|bij\s+de\s+gemeente\s+aan"
)
# Signing in with one's own credentials: a password guard, and a block of the scorer's rescue.
_LOGIN_WITH = (
    r"(?:accedere|accedi|acceder|accedez|aceder|acessar|acede|se\s+connecter|vous\s+connecter|anmelden|einloggen|inloggen"
    r"|log\s+je\s+in|logt\s+u\s+in|sign\s+in|log\s+in)\s+(?:[\w']+\s+){0,6}?(?:con|avec|mit|met|com|with)\s+(?:[\w']+\s+){0,2}?"
    r"(?:credenziali|credenciales|credenciais|identifiants|zugangsdaten|inloggegevens|credentials|password|contrasena|senha"
    r"|mot\s+de\s+passe|passwort|wachtwoord)"
)
_RESCUE_BLOCK = re.compile(r"\b(?:" + _BOARDING + "|" + _LOGIN_WITH + r")\b")

_MENTION_GUARDS = {
    "password": re.compile(
        r"\b(?:"
        r"reset|forgot(?:ten)?|new\s+(?:password|pin|passcode)|chang(?:e|ing)\b"
        # signing in with one's own credentials ("puoi accedere ai servizi con le tue credenziali")
        r"|" + _LOGIN_WITH +
        # a PIN typed in person, at a shop's terminal or a cash machine ("you may still be asked to enter
        # your PIN in the shop", "an der Kasse", "au terminal de paiement", "en el datafono", "alla cassa")
        r"|(?:in|at)\s+(?:the\s+|a\s+)?(?:shops?|stores?|tills?|checkouts?|(?:payment\s+|card\s+)?terminals?|cash\s+machines?"
        r"|atms?|cashpoints?)\b|an\s+der\s+kasse|am\s+(?:karten)?terminal|im\s+geschaft|am\s+geldautomaten"
        r"|(?:au|sur\s+le)\s+terminal|en\s+magasin|a\s+la\s+caisse|au\s+distributeur|en\s+(?:la\s+)?tienda|en\s+el\s+datafono"
        r"|en\s+el\s+cajero|in\s+negozio|alla\s+cassa|al\s+pos\b|al\s+bancomat|in\s+de\s+winkel|aan\s+de\s+kassa"
        r"|bij\s+de\s+(?:betaal|pin)automaat|na\s+loja|no\s+terminal|na\s+caixa\b|no\s+multibanco"
        r"|(?:choose|create|set\s+up|set)\s+(?:a\s+|your\s+|new\s+|strong\s+){0,3}(?:password|pin|passcode|passphrase)"
        r"|update"
        r"|temporary|strong|keep\s+(?:[\w'\u2019]+\s+){0,3}(?:safe|secret|private|confidential)|sign\s+in\s+with|log\s+in\s+with"
        r"|reinitialis|oubli|nouveau|changer|changez|modifi|cre(?:er|ez)\s+(?:un\s+|votre\s+|nouveau\s+)*(?:mot|code|pin)"
        r"|defini|temporaire|(?:conserve[rz]?|garde[rz]?)\s+(?:[\w']+\s+){0,4}?(?:secret|confidentiel|en\s+lieu\s+sur"
        r"|pour\s+vous)"
        # "neue" only before the password noun ("Ihr neues Passwort"), not "das neue Mailsystem"
        r"|zurucksetzen|zuruckgesetzt|vergessen|neue[sn]?\s+(?:[\w-]+\s+)?(?:[\w]+-)?(?:passwort|kennwort|pin|tan|code"
        r"|zugangs|anmelde|login|einmal|sicherheits|bestatigungs)|andern|geandert|festlegen|vergeben|sicher\s+auf"
        r"|restablec|olvid|nuev[oa]|cambi(?!o\s+d[ie]\s+(?:operador|operatore|gestore|compania|tarifa|piano|plan))|recuper|crea(?:r|e)?\s+(?:una\s+|un\s+|su\s+|tu\s+|la\s+|il\s+|nueva\s+)*"
        r"(?:contrasena|clave|pin|password|codice)|establec"
        r"|reimpost|dimenticat|nuov[oa]|imposta|scegli"
        r"|vergeten|opnieuw\s+instellen|resetten|herstellen|nieuwe?\b|wijzig|aanmaken|instellen|kies\b"
        r"|redefin|esquec|nova\b|novo\b|alter(?:ar|e)\b|criar\s+(?:uma\s+|a\s+|sua\s+|nova\s+)*(?:senha|palavra|pin)|definir"
        r"|wrong|incorrect\w*|erron\w*|falsch\w*|errat[oa]|sbagliat[oa]|onjuist\w*|verkeerd\w*|errad[oa]"
        r")"
    ),
    # Codes the sender gives the reader ("enter the code below", "your code is").
    "_code": re.compile(
        r"\b(?:below|above|following|this\s+code|code\s+is|expire|ci-dessous|ci-dessus|suivant|ce\s+code"
        r"|votre\s+code\s+est|folgende|diese[nmr]?\s+code|(?<!wie )lautet|unten|gultig\s+(?:fur|bis)|minuten\s+gultig"
        r"|siguiente|este\s+codigo|codigo\s+es"
        r"|caduca\b|a\s+continuacion|seguente|questo\s+codice|codice\s+e\b|scade\b|qui\s+sotto|onderstaande|volgende"
        r"|deze\s+code|verloopt|geldig\s+(?:voor|tot)|minuten\s+geldig|seguinte|abaixo|codigo\s+e\b|expira\b)"
    ),
    "card_number": re.compile(
        r"\b(?:ending\s+(?:in|with)|last\s+(?:4|four)|expires?\b|expired|was\s+charged|has\s+been\s+charged"
        r"|se\s+terminant\s+par|finissant\s+par|(?:4|quatre)\s+derniers|a\s+ete\s+debite|expire"
        r"|endet\s+auf|endend\s+auf|endziffern|lauft\s+ab|abgelaufen|belastet|abgebucht"
        r"|terminada\s+en|termina\s+en|acabada\s+en|caduca\b|cargado"
        r"|termina\s+(?:con|in)|terminante|scade\b|scaduta|addebitat"
        r"|eindigend\s+op|eindigt\s+op|verloopt|verlopen|afgeschreven"
        r"|terminad[oa]\s+em|termina\s+em|expira\b|debitad[oa]|cobrad[oa])"
    ),
    "bank_account": re.compile(
        r"\b(?:(?:pay|paid|payment|transfer|wire|remit|remittance)\s+(?:\w+\s+){0,3}?(?:to|into|on)\s+(?:the\s+)?"
        r"(?:following\s+)?(?:iban|account|bank)"
        r"|following\s+(?:iban|bank|account)|(?:iban|account|bank\s+details)\s+(?:below|above)"
        r"|virement\s+(?:\w+\s+){0,3}?sur|(?:iban|rib|compte)\s+(?:ci-dessous|suivant)|ci-joint"
        r"|uberweisung\s+auf|uberweisen\s+sie\s+(?:\w+\s+){0,4}?auf|zahlung\s+auf|folgende[ns]?\s+(?:iban|konto|bankverbindung)"
        r"|(?:transferencia|ingreso|pago|bonifico|pagamento|versamento|deposito|overmaken|over\s+te\s+maken|betalen|storten"
        r"|betaling|overschrijving)\s+(?:\w+\s+){0,3}?(?:a|en|para|su|sul|al|na|no|em|op|naar)\s+(?:la\s+|il\s+|a\s+|het\s+)?"
        r"(?:siguiente\s+|seguente\s+|seguinte\s+|volgende\s+|onderstaande\s+)?(?:iban|cuenta|conto|conta|rekening)"
        r"|maak\s+(?:\w+\s+){0,4}?over\s+(?:op|naar)\s+(?:het\s+)?(?:volgende\s+|onderstaande\s+)?(?:iban|rekening)"
        r"|(?:siguiente|seguente|seguinte|volgende|onderstaande?)\s+(?:iban|cuenta|conto|conta|rekening))"
    ),
    "_document": re.compile(
        # "office" as a place to go, not as a mail addressee ("per E-Mail an das International Office übermitteln")
        r"\b(?:appointment|application\s+status|office(?!\s+(?:ubermitteln|senden|schicken|mailen|zusenden"
        r"|(?:by|via|per)\s+e-?mail))|rendez-vous|rdv|termin|cita|appuntamento|afspraak"
        r"|marcacao|agendamento"
        # shown in person when boarding ("une pièce d'identité vous sera demandée à l'embarquement")
        r"|" + _BOARDING + r")\b"
    ),
}
# Every match of these guards holds one of the words (a cheap pre-test; the
# password and card guards match word beginnings and have none).
_GUARD_WORDS = {
    "_document": frozenset(b"""appointment application office rendez rdv termin cita appuntamento afspraak marcacao
        agendamento embarquement boarding check beim embarcar embarque imbarco boarden inchecken instappen
        person personne persona pessoa persoon personlich entrance entree eingang entrada ingresso ingang presentese
        presentarse presentez presentarsi apresente gemeente""".split()),
    "bank_account": frozenset(b"""pay paid payment transfer wire remit remittance following iban account bank virement
        rib compte ci uberweisung uberweisen zahlung folgende folgenden folgendes folgender transferencia ingreso
        pago bonifico pagamento versamento deposito overmaken over betalen storten betaling overschrijving maak
        siguiente seguente seguinte volgende onderstaande onderstaand""".split()),
}
for _c in ("passport", "id_document", "drivers_licence"):
    _GUARD_WORDS[_c] = _GUARD_WORDS["_document"]
del _c
_MENTION_GUARDS["passport"] = _MENTION_GUARDS["_document"]
_MENTION_GUARDS["id_document"] = _MENTION_GUARDS["_document"]
_MENTION_GUARDS["drivers_licence"] = _MENTION_GUARDS["_document"]

_CODE_NOUN = re.compile(r"code|otp|tan|codigo|codice|codici")
# "the link below", "über den folgenden Link", "on the following page": where to enter it, not a code given.
_LINK_PLACE = re.compile(
    r"\b(?:link|lien|enlace|collegamento|ligacao|hyperlink|url|page|pagina|seite|webseite|website|site|sitio|sito"
    r"|webpagina)\s+(?:(?:linked|shown|given|listed)\s+)?(?:below|above|ci-dessous|ci-dessus|unten|abaixo"
    r"|suivante?|siguiente|seguente|volgende|seguinte|following"
    r"|qui\s+sotto|a\s+continuacion|hieronder|sotto)\b"
    r"|\b(?:following|folgende[nmrs]?|siguiente|seguente|volgende|seguinte|suivante?|onderstaande)\s+"
    r"(?:link|lien|enlace|collegamento|ligacao|hyperlink|url|page|pagina|seite|webseite|website|site|sitio|sito"
    r"|webpagina)\b"
)

# The reader's own need, not a request: "Sie benötigen Ihren Ausweis", "u heeft
# uw paspoort nodig", "necesitará su pasaporte".
_READER_NEEDS_WORDS = frozenset(b"""
    sie du u je jij heeft hebt heb necesitara necesitaras necesitaran avrai avrete avra precisara precisaras
    precisarao vai you
""".split())
_READER_NEEDS = re.compile(
    r"\b(?:(?:sie|du)\s+(?:benotigen|brauchen|benotigst|brauchst)|(?:benotigen|brauchen)\s+sie|(?:benotigst|brauchst)\s+du"
    r"|(?:u|je|jij)\s+(?:heeft|hebt)|(?:heeft|hebt|heb)\s+(?:u|je|jij)"
    r"|necesitara[sn]?|(?:avrai|avrete|avra)\s+bisogno|precisara[sn]?|vai\s+precisar"
    rf"|you(?:{_AP}ll|\s+will|\s+would|{_AP}d)\s+(?:also\s+)?need\b(?!\s+to\b))\b"
)

# The sender sends the document ("we will send your driving licence back"), and
# receipts ("please confirm receipt of your new passport"): mentions.
_SENDER_SENDS = re.compile(
    rf"\b(?:we|i)(?:{_AP}ll|{_AP}re|{_AP}ve|\s+will|\s+shall|\s+are|\s+have|\s+can|\s+would)?\s+"
    r"(?:(?:be|going\s+to|just|already|now|also|then|gladly)\s+)*(?:send|sent|sending|return|returning|returned|post"
    r"|posted|mail|mailed|forward|forwarded|email|emailed)\s+(?:you\s+|back\s+)?(?:your|the|a|an)\s+(?:[\w'-]+\s+){0,2}$"
)
_RECEIPT_WORDS = frozenset(b"""
    receipt empfang empfangsbestatigung reception recepcion ricezione rececao recebimento ontvangst
    ontvangstbevestiging
""".split())
_RECEIPT = re.compile(
    r"\b(?:(?:confirm\w*|acknowledg\w*)\s+(?:the\s+)?receipt|(?:bestatig\w*\s+(?:sie\s+)?(?:uns\s+)?den|den)\s+empfang\s+"
    r"(?:\w+\s+){0,4}?bestatig\w*|bestatig\w*\s+(?:sie\s+)?(?:uns\s+)?den\s+empfang|empfangsbestatigung"
    r"|accuse\s+de\s+reception|confirm\w*\s+(?:la\s+|a\s+|o\s+)?(?:recepcion|rececao|recebimento|reception)"
    r"|conferm\w*\s+(?:la\s+)?ricezione|bevestig\w*\s+(?:\w+\s+)?(?:de\s+)?ontvangst|ontvangstbevestiging)\b"
)

# Thanks for data already sent: "thank you for sending your passport copy".
_THANKS_WORDS = frozenset(b"thank thanks merci danke dank gracias grazie bedankt obrigado obrigada".split())
_THANKS = re.compile(
    r"\b(?:thank(?:s|\s+you)\s+(?:\w+\s+){0,2}?for\s+(?:sending|submitting|providing|uploading|forwarding|sharing"
    r"|confirming)"
    rf"|merci\s+(?:\w+\s+)?(?:d{_AP}\s*avoir|de\s+nous\s+avoir|pour\s+l{_AP}\s*envoi|pour\s+(?:votre\s+)?envoi)"
    r"|(?:danke|dank|vielen\s+dank|besten\s+dank|herzlichen\s+dank)\s+(?:\w+\s+){0,2}?fur\s+(?:die\s+|das\s+|ihre\s+|ihren\s+)?"
    r"(?:schnelle\s+)?(?:zusendung|ubermittlung|ubersendung|einsendung)"
    r"|gracias\s+(?:\w+\s+){0,2}?por\s+(?:enviar|remitir|facilitar|mandar|proporcionar|el\s+envio|su\s+envio|haber(?:nos)?\s+\w+)"
    rf"|grazie\s+(?:\w+\s+){0,2}?per\s+(?:aver|averci|avermi|avere|l{_AP}\s*invio|il\s+(?:tuo\s+|suo\s+)?invio)"
    r"|(?:bedankt|dank\s+(?:u|je)(?:\s+wel)?)\s+voor\s+(?:het\s+)?(?:opsturen|toesturen|sturen|doorgeven|insturen"
    r"|uploaden|aanleveren|doorsturen)"
    r"|obrigad[oa]\s+(?:\w+\s+){0,2}?por\s+(?:nos\s+|me\s+)?(?:enviar|ter|remeter|o\s+envio|partilhar|compartilhar"
    r"|fornecer|mandar)"
    r")"
)

# Pointers to a secure channel (the company's app, portal, online banking,
# customer area) or away from mail ("not by email"): data handed over there is
# not requested by mail.
_SECURE = re.compile(
    r"\b(?:"
    # EN
    r"(?:in|via|through|using|on|into|to|within|from|at)\s+(?:the\s+|our\s+|your\s+)?(?:[a-z]+\s+){0,2}?"
    r"(?:(?:mobile|banking)\s+)?(?:(?!whats)[a-z]*app\b|portal\b|online\s+banking|internet\s+banking|mobile\s+banking"
    r"|(?:customer|client|secure|member|personal|private)\s+(?:area|space|zone|portal|section|dashboard)"
    r"|secure\s+(?:message|messaging|mailbox|inbox|upload|site|website|server|form)|message\s+cent(?:re|er)"
    r"|upload\s+(?:page|portal|form|area|centre|center|tool))"
    r"|secure\s+upload|(?:rather|instead)\s+(?:than|of)\s+(?:\w+\s+){0,2}?(?:by|via|through|over|in)?\s*(?:an?\s+)?e-?mail"
    r"|not\s+(?:by|via|through|over)\s+e-?mail"
    # FR
    r"|(?:dans|via|depuis|sur|par)\s+(?:l'\s*|la\s+|le\s+|votre\s+|notre\s+)?(?:application|appli\b|app\b"
    r"|espace\s+(?:client|personnel|securise|abonne|adherent|membre)|messagerie\s+securisee|portail"
    r"|banque\s+en\s+ligne|site\s+securise|coffre-fort)"
    r"|(?:plutot\s+que|au\s+lieu\s+de|et\s+non|pas)\s+(?:\w+\s+){0,2}?par\s+(?:e-?mail|courriel|mail)"
    # DE
    r"|(?:in|uber|via|im|ins|per|mit|auf)\s+(?:der|die|das|dem|den|unsere[rnms]?|ihre[rnms]?|unser|ihr|deine[rnms]?)?\s*"
    r"(?:[a-z]+e[nmrs]?\s+)?(?:(?!whats)[a-z]*-?app\b|[a-z]*-?banking\b|[a-z]*portal\b|(?<!mail-)postfach|(?:kunden|mitglieder"
    r"|service|upload)bereich|online-?filiale|kundencenter|online-?konto)"
    r"|(?:nicht|statt|anstatt)\s+(?:\w+\s+){0,2}?(?:per|uber|via)\s+(?:e-?mail|mail)"
    # ES
    r"|(?:en|desde|mediante|por|via|con|a\s+traves\s+de)\s+(?:la\s+|el\s+|nuestra\s+|nuestro\s+|su\s+|tu\s+)?"
    r"(?:app\b|aplicacion|(?:area|zona|espacio)\s+(?:privada|privado|de\s+clientes?|cliente|personal|segura|seguro|reservada)"
    r"|banca\s+(?:online|en\s+linea|digital|movil|electronica|a\s+distancia)|portal|oficina\s+virtual"
    r"|sede\s+electronica|web\s+segura|buzon\s+(?:seguro|privado))"
    r"|(?:en\s+lugar|en\s+vez)\s+de\s+(?:\w+\s+){0,2}?(?:por\s+)?(?:correo|e-?mail)"
    r"|no\s+(?:\w+\s+){0,2}?por\s+(?:correo|e-?mail)"
    # IT
    r"|(?:nell|nella|nel|tramite|attraverso|dall|dalla|dal|sull|sulla|sul|in|via|con|mediante)(?:'\s*|\s+)"
    r"(?:l'\s*|la\s+|il\s+|lo\s+|vostra\s+|nostra\s+|sua\s+|tua\s+)?(?:app\b|applicazione|area\s+(?:riservata|clienti"
    r"|personale|privata|protetta)|home\s*banking|internet\s+banking|portale|sito\s+sicuro|banca\s+online"
    r"|spazio\s+(?:personale|clienti))"
    r"|(?:anziche|invece\s+che|invece\s+di|piuttosto\s+che|non)\s+(?:\w+\s+){0,2}?(?:via|per|tramite|con)\s+"
    r"(?:e-?mail|mail|posta\s+elettronica)"
    # NL
    r"|(?:in|via|op|binnen|naar|met)\s+(?:de\s+|het\s+|uw\s+|je\s+|jouw\s+|onze\s+|ons\s+)?(?:[a-z]+[- ])?"
    r"(?:(?!whats)[a-z]*-?app\b|mijn\s*[a-z]+|beveiligde\s+(?:omgeving|pagina|website|portaal|berichtenbox|inbox)"
    r"|internetbankieren|(?:online|mobiel)\s+bankieren|[a-z]*portaal|berichtenbox|klantomgeving"
    r"|(?:persoonlijke|online)\s+omgeving)"
    r"|(?:in\s+plaats\s+van|niet)\s+(?:\w+\s+){0,2}?(?:per|via)\s+(?:e-?mail|mail)"
    # PT
    r"|(?:na|no|nas|nos|pela|pelo|via|em|atraves\s+d[ao]s?|por\s+meio\s+d[ao])\s+(?:sua\s+|nossa\s+|tua\s+|nosso\s+|seu\s+)?"
    r"(?:app\b|aplicacao|aplicativo|area\s+(?:reservada|do\s+cliente|de\s+cliente|pessoal|privada|segura|restrita)"
    r"|homebanking|home\s+banking|internet\s+banking|portal|balcao\s+digital|site\s+seguro|espaco\s+(?:cliente|pessoal)"
    r"|canal\s+seguro)"
    r"|(?:em\s+vez|ao\s+inves|em\s+lugar)\s+de\s+(?:\w+\s+){0,2}?(?:por\s+)?(?:e-?mail|correio)"
    r"|nao\s+(?:\w+\s+){0,2}?por\s+(?:e-?mail|correio)"
    r")"
)

# Channel names (anywhere in the text) and a turn away from mail ("do not send
# it by email", "rather than replying", "e-mail is geen veilig kanaal"): together
# they make the whole text a secure-channel pointer. These regexes scan whole
# texts, so every alternative starts with a literal letter (the regex engine
# then skips to candidate positions) and word boundaries are checked after it.
# a website named by its domain after a preposition ("via mypension.be", "sur impots.gouv.fr")
_DOMAIN_CHANNEL = (
    r"(?:via|on|sur|en|em|op|auf|through|at|su|no|na|in|dans|ueber|uber)\s+(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*"
    r"\.(?:be|nl|fr|de|at|ch|es|it|pt|br|mx|ar|cl|co|pe|com|org|net|gov|gob|gouv|eu|lu)"
)
_CHANNEL_DOMAIN = re.compile(r"\b" + _DOMAIN_CHANNEL + r"\b")
_CHANNEL = re.compile(
    r"apps?\b(?<!whatsapp)(?<!whatsapps)(?<!knapp)"
    r"|l'\s*application|notre\s+application|votre\s+application|mobile\s+app|banking\s+app"
    r"|appli\b|aplicacion|aplicacao|aplicativo|applicazione"
    r"|portal(?:e|s)?\b|portail\b|portaal\b|plateforme\b|plataforma\b|piattaforma\b|platforms?\b|plattform\b"
    r"|online[\s-]?bankings?\b|internet[\s-]?bankings?\b|home[\s-]?bankings?\b|mobile[\s-]?bankings?\b"
    r"|banca\s+(?:online|en\s+linea|digital|movil|electronica|a\s+distancia)|banque\s+en\s+ligne"
    r"|internetbankieren|online\s+bankieren|mobiel\s+bankieren"
    r"|espace\s+(?:client|personnel|securise|abonne|adherent|membre|assure|proprietaire|locataire|candidat|patient"
    r"|entreprise|professionnel|salarie)"
    r"|area\s+(?:riservata|clienti|cliente|de\s+clientes?|do\s+cliente|privada|reservada|protetta|personale|personal"
    r"|segura|restrita)"
    r"|zona\s+(?:privada|de\s+clientes?|cliente|segura)|espacio\s+(?:privado|cliente|personal|seguro)"
    r"|customer\s+(?:area|portal|account|space|section)|client\s+(?:area|portal|account|space|section)"
    r"|log\s+in(?:to)?\s+(?:to\s+|op\s+)?(?:my|mijn)\s+[a-z]|in\s+te\s+loggen\s+op\s+mijn\s+[a-z]|inloggen\s+op\s+mijn\s+[a-z]|sign\s+in(?:to)?\s+(?:to\s+)?my\s+[a-z]"
    r"|online\s+account|user\s+account|my\s+account|mein\s+konto|online-?konto|mon\s+compte|compte\s+en\s+ligne"
    r"|mi\s+cuenta|il\s+mio\s+profilo|mijn\s+account|minha\s+conta|area\s+de\s+cliente|area\s+do\s+cliente"
    r"|secure\s+(?:form|site|website|page)|formulaire\s+securise|sicheres\s+formular|formulario\s+seguro"
    r"|modulo\s+sicuro|beveiligd\s+formulier"
    r"|member\s+(?:area|portal)|personal\s+(?:area|portal)|secure\s+(?:area|messag\w*|mailbox|inbox|upload|document|portal)"
    r"|kundenbereich|kundenkonto|geschutzten\s+bereich|geschutzte\s+bereich|sicheren\s+bereich|sichere\s+bereich"
    r"|postfach(?<!mail-postfach)(?<!mailpostfach)|online-?filiale"
    r"|klantomgeving|beveiligde\s+(?:omgeving|berichtenbox|pagina|website)|berichtenbox|mijn\s*omgeving|persoonlijke\s+omgeving"
    r"|messagerie\s+securisee|buzon\s+seguro|messaggistica\s+sicura|caixa\s+de\s+mensagens\s+segura"
    r"|websites?\b|(?:our|notre|nuestro|nostro|onze|nosso|unsere[rnm]?|votre)\s+(?:web\s*)?site\b|sito\b"
    r"|manage\s+(?:my\s+)?booking|gerir\s+reserva|gestisci\s+prenotazione|gestionar\s+(?:mi\s+)?reserva"
    r"|gerer\s+ma\s+reservation|buchung\s+verwalten|boeking\s+beheren|l'\s*ent\b"
    # a Dutch "Mijn ..." portal, e-government and virtual branches, a website named by its domain
    r"|(?:via|in|op|naar|bij)\s+mijn\s*[a-z]{2,}|\w*omgeving\b|sucursal\s+virtual|oficina\s+virtual|sede\s+electronica"
    r"|agencia\s+virtual|balcao\s+digital|espace\s+(?:en\s+ligne|numerique)|" + _DOMAIN_CHANNEL +
    r"\b"
)
_CONTRAST_WORDS = frozenset(b"""
    rather instead anstatt statt stattdessen plutot lieu lugar vez invece anziche piuttosto plaats inves place
    liever antes aceptamos aceptan accept acceptons accettiamo aceitamos accepteren akzeptieren
""".split())
_CONTRAST = re.compile(
    r"rather\s+than|instead\s+of|(?<![a-z])instead\s*,|stattdessen\b|anstatt\b|statt(?<![a-z]statt)\b|plutot\s+que|au\s+lieu\s+de"
    r"|en\s+lugar\s+de|en\s+vez\s+de|invece\s+(?:di|che)|anziche|piuttosto\s+che|in\s+plaats\s+van|em\s+vez\s+de"
    r"|ao\s+inves\s+de|em\s+lugar\s+de"
    # "instead" on its own, before the channel ("caricarli invece nel portale", "upload it instead in the app")
    r"|invece\s+(?:nel|nella|nell|sul|sulla|tramite|attraverso|in|su|dal|dalla)\b|instead\s+(?:in|on|via|through|to)\b"
    r"|en\s+su\s+lugar\b|em\s+vez\s+disso|in\s+plaats\s+daarvan|a\s+la\s+place\b"
    # "we do not accept ... sent by email" ("no aceptamos datos bancarios ni copias ... enviados por correo")
    rf"|(?:no\s+aceptamos|no\s+se\s+aceptan|(?:do\s+not|don{_AP}t|cannot|can{_AP}t)\s+accept|n{_AP}?\s*acceptons\s+pas|non\s+accettiamo"
    r"|nao\s+aceitamos|accepteren\s+(?:wij\s+|we\s+)?geen|akzeptieren\s+(?:wir\s+)?keine)[^.!?;]{0,120}?"
    r"(?:correo|e-?mail|mail|courriel)"
    r"|plutot\s+(?:dans|sur|via|par|depuis|en\s+ligne)\b|liever\s+(?:[\w-]+\s+){0,6}?dan\b"
    r"|antes\s+(?:na|no|pela|pelo|atraves)\s+(?:\w+\s+)?(?:area|app|aplicacao|aplicativo|portal|site|plataforma)\b"
)
_MAIL_WORD = re.compile(
    r"(?<=\brepl)(?:y|ying)\s+with\b|(?<=\brepondez\spas\s)avec\b|(?<=\bresponda\s)con\b|(?<=\brispondete\s)con\b"
    r"|(?<=\brisponda\s)con\b|(?<=\brispondere\s)con\b|(?<=\bresponda\s)com\b|(?<=\bresponder\s)com\b|(?<=\bantwoorden\s)met\b|mails?\b|courriels?\b|correos?\b|posta\s+elettronica|attachments?\b|pieces?\s+jointes?|anhange?\b|adjuntos?\b"
    r"|allegati\b|bijlagen?\b|anexos?\b|(?<![a-z])(?:e-?)?mailen\b"
)
# Word-set gate of the text-wide test: a turn away from mail needs a contrast
# word, or a mail word and a "not" word.
_MAIL_WORDS = frozenset(b"""
    email emails mail mails courriel courriels correo correos posta attachment attachments pieces piece anhang
    anhange adjunto adjuntos allegati bijlage bijlagen anexo anexos reply replying repondez responda rispondete
    risponda rispondere responder antwoorden mailen
""".split())
_NOT_WORDS = frozenset(b"""
    not never cannot t nicht niemals nie kein keine keinen keinem keiner keines pas jamais no nunca non mai niet
    nooit geen nao inutile innecesario unnecessary rien nada niente nichts niets nothing
""".split())
_SECURE_GATE_WORDS = _CONTRAST_WORDS | _MAIL_WORDS | _NOT_WORDS
# Credentials entered in the app (a confirmation step), not sent.
_ENTER_WORDS = frozenset(b"""
    enter entering input type saisissez saisir entrez entrer renseignez eingeben geben introduzca introducir
    ingrese ingresar inserisca inserisci inserire digiti digita voer voert invoeren vul vult invullen introduza
    insira inserir digite
""".split())
# Mail in the request's own sentence ("reply to this email or upload it in the app").
_MAIL_IN_SENTENCE = _MAIL_WORDS | frozenset(b"""
    reply replying attach attached attachment antwort antworten antworte anhang reponse repondre repondez
    joindre respuesta responda responder adjunte adjunto risposta rispondete risponda rispondere allegato
    allegate antwoord beantwoord bijlage reageer resposta responda anexo anexe
""".split())
# "not" / "never" before a mail word of the same clause, with a verb of handing
# over or a preposition between them ("do not send it by email", "ne le joignez
# pas à un e-mail"; not "do not ignore this email"), or after it when mail is
# called unsafe ("e-mail is geen veilig kanaal") or is the verb ("mail hem niet").
_NOT_BEFORE_MAIL = re.compile(
    r"(?:\b(?:not|never|cannot|nicht|niemals|nie|kein\w*|pas|jamais|no|nunca|non|mai|niet|nooit|geen|nao|inutile"
    r"|innecesario|unnecessary|rien|nada|niente|nichts|niets|nothing)\b"
    rf"|n{_AP}t\b)([^.!?;,]*)$"
)
_HANDOVER_WORDS = frozenset(b"""
    by via per par por through over in into to as als an a ao em op naar with met mit con com at au en
    send sending sent reply replying attach attaching forward share email e mail accept process received
    envoyer envoyez envoie renvoyer joindre joignez joins transmettre transmettez repondre repondez acceptons
    senden schicken schickt hangen anhangen antworten ubermitteln nehmen akzeptieren
    envie envies envien enviar mande mandes adjunte adjuntes responda aceptamos
    invii inviare inviarla inviarlo inviate allegare allegarlo alleghi rispondere accettiamo
    stuur stuurt sturen mailen voeg accepteren antwoorden
    envias anexe anexes responder aceitamos
""".split())
_NOT_AFTER_MAIL = re.compile(
    rf"^[^.!?;,]*(?:\b(?:not|cannot|kein\w*|pas|no|non|nao|niet|geen|nicht)\b|n{_AP}t\b)[^.!?;,]*\b(?:secur\w*|safe\w*|sicher\w*"
    r"|sur\b|segur\w*|sicur\w*|veilig\w*|protect\w*|geschutzt\w*|protege\w*"
    r"|accept\w*|akzeptier\w*|acept\w*|accett\w*|aceit\w*|geaccepteerd"
    r"|aannem\w*|aangenomen|verwerk\w*|annehm\w*|entgegennehm\w*|angenommen|bearbeit\w*|process\w*|trait\w*|tramit\w*)"
)
_MAIL_VERB_NOT = re.compile(r"\bmail\s+(?:hem|het|ze|deze|dit)\s+(?:\w+\s+){0,3}?niet\b")


def _mail_contrast(t: str, words: Iterable[bytes]) -> bool:
    """Whether the normalised text ``t`` (its words: ``words``) turns away from mail."""
    if not _CONTRAST_WORDS.isdisjoint(words) and _CONTRAST.search(t):
        return True
    for m in _MAIL_WORD.finditer(t):
        i, j = m.span()
        n = _NOT_BEFORE_MAIL.search(t, max(0, i - 60), i)
        if n is not None:
            gap = _words(n.group(1))
            if not gap or not _HANDOVER_WORDS.isdisjoint(gap):
                return True
        if _NOT_AFTER_MAIL.search(t[j : j + 45]):
            return True
    return _MAIL_VERB_NOT.search(t) is not None


# A link in the text: credentials typed in at a link stay requests even when the
# text names the online banking ("confirm your online-banking PIN at this link").
_URL = re.compile(r"https?://\S|www\.\w")
_LINKISH = re.compile(
    r"https?://\S|www\.\w|\b(?:link|links|lien|liens|enlace|enlaces|collegamento|hyperlink|klik|click|clicca|cliccate"
    r"|cliquez|clique|klicken|pulse|pulsa)\b"
)

# Sentence ends: [.!?;] then a space or the end, or a blank line ("\n\s*\n"),
# but not the dot of a one-letter abbreviation ("a.u.b. ", "z.B. ", "e.g. ") or of
# a list number ("Please send: 1. a copy of your ID 2. your IBAN").
# Written with one character class first so that the scan skips to candidates.
_BOUNDARY = re.compile(r"[.!?;\n](?:(?<=\n)\s*\n|(?<!\n)(?<![.\s][a-z]\.)(?<![\s:(]\d\.)(?:\s|$))")
_BEFORE = 110
_AFTER = 90


def _sentence(t: str, s: int, e: int) -> tuple[str, str]:
    """The parts of the sentence of ``t[s:e]`` before and after it, within reach."""
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
    return pre, post


# Every _CHANNEL match holds one of these words, or a word ending in one of the
# suffixes (compounds: "Kundenportal", "documentenportaal", "bankingapp").
_CHANNEL_WORDS = frozenset(b"""
    app apps application appli aplicacion aplicacao aplicativo applicazione portal portale portals portail
    portaal banking bankings onlinebanking internetbanking homebanking mobilebanking banca banque
    internetbankieren bankieren espace area zona espacio customer client member personal secure
    kundenbereich kundenkonto bereich postfach onlinefiliale filiale klantomgeving beveiligde berichtenbox
    omgeving mijnomgeving messagerie buzon messaggistica caixa online user my mein onlinekonto mon compte
    mi il mijn minha formulaire sicheres formular formulario modulo beveiligd
    website websites site sito our notre nuestro nostro onze nosso unserer unseren unsere unserem votre web
    manage gerir gestisci gestionar gerer buchung boeking ent
    plateforme plataforma piattaforma platform platforms plattform sucursal oficina sede agencia balcao
""".split())
_CHANNEL_SUFFIX = re.compile(r"(?:app|portal|portail|portaal|banking|postfach|omgeving)(?:s|e)?\b")


def _channel_word(words: list[bytes], text: str) -> bool:
    """Whether ``text`` (its words: ``words``) may hold a :data:`_CHANNEL` match (a cheap pre-test)."""
    return (not _CHANNEL_WORDS.isdisjoint(words) or _CHANNEL_SUFFIX.search(text) is not None
            or ("." in text and _CHANNEL_DOMAIN.search(text) is not None))


def _secure_gate_fails(present: frozenset[bytes]) -> bool:
    """Whether the gate words ``present`` in a text cannot make a turn away from mail."""
    return _CONTRAST_WORDS.isdisjoint(present) and (_MAIL_WORDS.isdisjoint(present) or _NOT_WORDS.isdisjoint(present))


def _secure_text(t: str, words: list[bytes] | None = None, coarse: list[bytes] | None = None) -> bool:
    """Whether the normalised text ``t`` (its :func:`_words`: ``words``) names a
    secure channel and turns away from mail. ``coarse``: a superset of the
    words without digits (the pre-check's), for a first test."""
    if words is None:
        if coarse is not None and _secure_gate_fails(_SECURE_GATE_WORDS.intersection(coarse)):
            return False
        words = _words(t)
    present = _SECURE_GATE_WORDS.intersection(words)
    if _secure_gate_fails(present):
        return False
    return _channel_word(words, t) and _CHANNEL.search(t) is not None and _mail_contrast(t, present)


def _secure(t: str, window: str, cat: str, words: list[bytes], ctx: dict[str, Any] | None = None) -> bool:
    """Whether the request in ``window`` (a sentence of ``t``) is handed over in
    a secure channel instead of mail.

    Either the sentence points to one ("upload it in the app", "enter the code
    in the app"; a credential only when it is to be entered there, not sent:
    "reply with the code shown in your app"; and no mail in that sentence), or
    the text names one and turns away from mail (:func:`_secure_text`). Never
    for credentials when the text has a link (phishing: "confirm your
    online-banking PIN at this link"). ``words``: the words of ``window``;
    ``ctx`` caches the text-wide test and records a secure channel."""
    if (_MAIL_IN_SENTENCE.isdisjoint(words) and (cat != "password" or not _ENTER_WORDS.isdisjoint(words))
            and _channel_word(words, window) and _CHANNEL.search(window) is not None
            and _SECURE.search(window) is not None):
        secure = True
    elif ctx is None:
        secure = _secure_text(t)
    else:
        secure = ctx.get("secure_text")
        if secure is None:
            secure = ctx["secure_text"] = _secure_text(t, ctx.get("words"), ctx.get("coarse"))
    if secure and ctx is not None:
        ctx["secure_veto"] = True
    return secure and (cat != "password" or _LINKISH.search(t) is None)


# The number of an ID card is a national id: no id_document for "the number of
# your ID card", "numéro de carte d'identité", "ID card number".
_NUMBER_OF = re.compile(
    r"(?:\bnumbers?\s+(?:of|on)\s+(?:your\s+|the\s+)?|\bnumeros?\s+(?:de|du|del|do|da|di|della|dello)\s+"
    r"(?:(?:votre|su|tu|sua|tua|seu|teu|la|il|o|a|el)\s+)?|\bnummer\s+(?:van\s+(?:uw|je|het)\s+|(?:ihres|des|deines)\s+))$"
)
_NUMBER_AFTER = re.compile(r"\s*(?:card\s+|document\s+)?(?:numbers?\b|no\b|#|nummer\b)")

# A card's security code is part of the card data, not a password.
_CARD_CODE = re.compile(r"security|sicherheit|beveiliging|seguridad|seguranca|sicurezza")
_CARD_WORD = re.compile(
    r"\b(?:cards?|carte|karten?\w*|kreditkarte\w*|tarjetas?|carta|cartao|kaart\w*|creditcard\w*|cvv|cvc|bankpas|betaalpas)\b"
)


_SENDER_WORDS = frozenset((b"we", b"i"))
# the gates of the thanks, receipt, sender and reader tests
_LATE_WORDS = _THANKS_WORDS | _RECEIPT_WORDS | _SENDER_WORDS | _READER_NEEDS_WORDS


def _late_veto(t: str, s: int, e: int, cat: str, pre: str, post: str, window: str,
               words: list[bytes], ctx: dict[str, Any] | None = None) -> bool:
    """The vetoes of a cued noun that need no fast path (rarely reached): a code
    the sender gives, a card's security code, a value after the noun, the
    sender's own data, an ID card's number (a national id), thanks for data
    sent, the reader's own need, a secure channel. ``words``: the
    words of ``window``; ``ctx``: see :func:`_is_request`."""
    if cat == "password":
        if _CODE_NOUN.search(t, s, e) and _MENTION_GUARDS["_code"].search(_LINK_PLACE.sub(" ", window)):
            return True
        if _CARD_CODE.search(t, s, e) and _CARD_WORD.search(window):
            return True
    if _VALUE_AFTER.match(post) or _OWN_BEFORE.search(pre[-30:]):
        return True
    if cat == "id_document" and (_NUMBER_OF.search(pre[-40:]) or _NUMBER_AFTER.match(post)):
        return True
    if _LATE_WORDS.isdisjoint(words):
        return _secure(t, window, cat, words, ctx)
    if not _THANKS_WORDS.isdisjoint(words) and _THANKS.search(window):
        return True
    if not _RECEIPT_WORDS.isdisjoint(words) and _RECEIPT.search(_without_urls(window)):
        return True
    if not _SENDER_WORDS.isdisjoint(words) and _SENDER_SENDS.search(pre[-60:]):
        return True
    if not _READER_NEEDS_WORDS.isdisjoint(words):
        # not in a conditional clause ("Falls Sie Hilfe benötigen, ...")
        core = _CONDITIONAL.sub(" ", window) if not _CONDITIONAL_WORDS.isdisjoint(words) else window
        if _READER_NEEDS.search(core):
            return True
    return _secure(t, window, cat, words, ctx)


# "We have not received your IBAN yet": the sender waits for the data. A cue,
# and its own "not" is no negation.
_AWAITED_WORDS = frozenset(b"""
    received receive have waiting awaiting recu attente erhalten bekommen vor recibido tenemos espera
    esperando ricevuto attesa abbiamo ontvangen gekregen recebemos recebi temos aguardamos aguardar
    aguardando warten got gotten eu
""".split())
_AWAITED = re.compile(
    r"\b(?:"
    rf"(?:we|i)(?:\s+have|{_AP}ve)?\s+(?:still\s+)?(?:not|n{_AP}t)\s+(?:yet\s+)?(?:received|got(?:ten)?)\b"
    rf"|(?:we|i)\s+(?:still\s+)?(?:haven|hasn|didn){_AP}t\s+(?:yet\s+)?(?:received|receive|got(?:ten)?)\b"
    rf"|(?:we|i)\s+(?:did\s+not|do\s+not|don{_AP}t)\s+(?:yet\s+)?(?:receive|have)\b"
    rf"|(?:we\s+are|we{_AP}re|i\s+am|i{_AP}m)\s+still\s+(?:waiting\s+for|awaiting)\b"
    rf"|(?:nous\s+n|je\s+n){_AP}\s*(?:avons|ai)\s+(?:toujours\s+)?pas\s+(?:encore\s+)?(?:recu|eu)\b"
    r"|(?:nous\s+sommes|je\s+suis)\s+(?:toujours\s+)?en\s+attente\s+de\b"
    r"|wir\s+haben\s+(?:\w+\s+){0,6}?(?:noch\s+)?(?:nicht|keine?n?)\s+(?:\w+\s+)?(?:erhalten|bekommen)\b"
    r"|liegt\s+uns\s+(?:\w+\s+){0,4}?(?:noch\s+)?nicht\s+vor\b|(?:warten|wir\s+warten)\s+(?:noch\s+)?auf\b"
    r"|(?:todavia\s+|aun\s+)?no\s+(?:hemos|he)\s+recibido\b|no\s+tenemos\s+(?:todavia\s+|aun\s+)?(?:su|tu|sus|tus)\b"
    r"|(?:seguimos|quedo|quedamos|estamos)\s+(?:a\s+la\s+)?espera(?:ndo)?\b"
    r"|non\s+(?:abbiamo|ho)\s+(?:ancora\s+)?ricevuto\b"
    r"|(?:siamo|restiamo|rimaniamo|resto|rimango|sono)\s+(?:ancora\s+)?in\s+attesa\b"
    r"|(?:wij|we|ik)\s+(?:hebben|heb)\s+(?:\w+\s+){0,6}?(?:nog\s+)?(?:niet|geen)\s+(?:\w+\s+)?(?:ontvangen|gekregen)\b"
    # the verb second, the noun first: "Uw IBAN hebben wij nog niet ontvangen", "Ihre Steuer-ID haben wir noch nicht erhalten"
    r"|(?:hebben|heb)\s+(?:wij|we|ik)\s+(?:\w+\s+){0,3}?(?:nog\s+)?(?:niet|geen)\s+(?:\w+\s+)?(?:ontvangen|gekregen)\b"
    r"|(?:haben|habe)\s+(?:wir|ich)\s+(?:\w+\s+){0,3}?(?:noch\s+)?(?:nicht|keine?n?)\s+(?:\w+\s+)?(?:erhalten|bekommen)\b"
    r"|(?:ainda\s+)?nao\s+(?:recebemos|recebi)\b|(?:ainda\s+)?(?:aguardamos|estamos\s+a\s+aguardar|estamos\s+aguardando"
    r"|continuamos\s+a\s+aguardar|fico\s+a\s+aguardar|fico\s+aguardando|ficamos\s+a\s+aguardar)\b"
    r")"
)

# A request in the next sentence that takes the noun up with a pronoun: "Your
# tax ID is missing from our files. Please send it to us." The verbs are cue
# words; a sentence without one of them and one of the pronouns is not scanned.
_FOLLOW_VERBS = frozenset(b"""
    send resend reply respond attach email e mail forward upload provide submit share text include confirm
    enter give fax whatsapp retransmettre transferer reencaminhar encaminhar reenviar enviar mandar remeter
    reencaminhe doorsturen bezorgen aanleveren
    envoyer renvoyer transmettre joindre communiquer confirmer adresser parvenir fournir indiquer envoyez
    renvoyez transmettez joignez adressez communiquez confirmez fournissez indiquez envoie transmets joins
    senden schicken ubermitteln mailen leiten reichen laden geben teilen nennen schick sende leite gib
    stuur stuurt mailt upload voeg geef toesturen opsturen doorsturen sturen mailen geven doorgeven
    envie mande anexe remeta envia manda anexa encaminhe indique informe
    shoot flick drop pass ping fire passa
    pasar pasas envias mandas reenvias reenvia pasa
    mandare inviare girare rimandare scrivere inoltrare mandi invii giri scrivi inoltri rimandi manderesti
    invieresti gireresti
""".split())
_FOLLOW_PRONOUNS = frozenset(b"""
    it them le la les l ihn sie es diese diesen dieses hem het deze dit ze o a os as lo los las nos
    both beide beides ambos ambas entrambi entrambe deux that this the die mo ma mos mas li
""".split())
_FOLLOW = re.compile(
    r"\b(?:"
    r"(?:send|resend|reply\s+with|respond\s+with|attach|e-?mail|forward|upload|provide|submit|share|text|include|confirm"
    r"|enter|give|fax|mail|whatsapp)\s+(?:us\s+|me\s+)?(?:it|them|both)\b"
    # "both" / "les deux" / "beide" / "los dos" / "entrambi" / "os dois"
    r"|(?:r?envoyez|transmettez|joignez|adressez)(?:-nous|-moi)?\s+les\s+deux\b"
    r"|(?:senden|schicken|ubermitteln|mailen)\s+sie\s+(?:uns\s+|mir\s+)?(?:beide|beides)\b"
    r"|(?:stuur|stuurt|mail|mailt|upload|voeg|geef)\s+(?:u\s+)?(?:ze\s+)?beide\b"
    r"|(?:envie|mande|anexe|remeta|envia|manda|anexa|encaminhe|adjunte|adjunta)\s+(?:(?:los|las|os|as)\s+)?"
    r"(?:dos|dois|duas|ambos|ambas)\b"
    r"|(?:invia|invii|inviate|manda|mandi|mandate|allega|alleghi|allegate)\s+(?:\w+\s+)?(?:entrambi|entrambe)\b"
    r"|(?:send|forward|text|e-?mail|give)\s+(?:us\s+|me\s+)?(?:that|this|the)\s+code\b"
    rf"|(?:nous\s+|me\s+|m{_AP}\s*)?(?:le|la|les|l{_AP})\s*(?:r?envoyer|retransmettre|transferer|joindre|communiquer|confirmer|adresser"
    r"|faire\s+parvenir|fournir|indiquer)\b"
    r"|(?:r?envoyez|transmettez|joignez|adressez|communiquez|confirmez|fournissez|indiquez|envoie|transmets|joins)"
    r"(?:-nous|-moi)?-(?:le|la|les)\b"
    r"|(?:senden|schicken|ubermitteln|mailen|leiten|reichen|laden|geben|teilen|nennen)\s+sie\s+(?:uns\s+|mir\s+)?"
    r"(?:ihn|sie|es|diese[ns]?)\b"
    r"|(?:schick|sende|leite|gib)\s+(?:uns\s+|mir\s+)?(?:ihn|sie|es|diese[ns]?)\b"
    r"|(?:stuur|stuurt|mail|mailt|upload|voeg|geef)\s+(?:u\s+)?(?:hem|het|deze|dit|ze)\b"
    r"|(?:hem|het|deze|ze|die|dit)\s+(?:[\w-]+\s+){0,8}?(?:bezorgen|aanleveren|toesturen|opsturen|doorsturen|sturen|mailen|geven|doorgeven)\b"
    r"|(?:envie|mande|anexe|remeta|envia|manda|anexa|encaminhe|indique|informe)-(?:nos-|me-)?(?:o|a|os|as|lo|la|los|las)\b"
    r"|(?:reencaminhar|encaminhar|reenviar|enviar|mandar|remeter|reencaminhe|encaminhe|envie|mande|manda|envia|passa)-(?:mo|ma|mos|mas|no-lo"
    r"|no-la|nos-lo|nos-la)\b"
    # colloquial: "shoot it over", "flick it to me"; the pronoun before the verb ("me lo puedes reenviar",
    # "me lo mandi", "me la puoi girare")
    r"|(?:shoot|flick|drop|pass|ping|fire)\s+(?:us\s+|me\s+)?(?:it|them)\b"
    r"|(?:me|nos)\s+(?:lo|la|los|las)\s+(?:\w+\s+)?(?:r?enviar|mandar|pasar|r?envias|mandas|pasas|r?envia|manda|pasa"
    r"|mande|envie)\b"
    r"|(?:me|ce)\s+(?:lo|la|li|le)\s+(?:\w+\s+)?(?:mandare|inviare|girare|rimandare|scrivere|inoltrare|mandi|invii|giri"
    r"|scrivi|inoltri|rimandi|manderesti|invieresti|gireresti)\b"
    r")"
)
# Spanish and Italian attach the pronoun to the verb: any of these words is a follow-up request.
_FOLLOW_FUSED = frozenset(b"""
    envielo enviela envielos envielas envienoslo envienosla envienoslos envienoslas mandelo mandela
    mandenoslo mandenosla mandamelo mandamela adjuntelo adjuntela adjuntelos adjuntelas remitanoslo
    remitanosla facilitenoslo facilitenosla pasamelo pasamela envialo enviala envianoslo envianosla
    inviacelo inviacela inviatecelo inviatecela mandacelo mandacela mandamelo mandamela allegalo allegala
    allegatelo allegatela inviarcelo inviarcela mandarmelo mandarmela allegarlo allegarla inviarlo
    inviarla inoltracelo inoltracela trasmettetecelo trasmetteteci
    adjuntalo adjuntala adjuntalos adjuntalas envialos envialas mandalo mandala mandalos mandalas envianoslos
    mandanoslo mandanosla mandanoslos adjuntanoslos allegali allegale allegateli allegatele inviali inviale
    mandali mandale inviaceli inviacele mandaceli mandacele inoltrarmelo inoltrarmela inoltramelo inoltramela
    inoltracelo girarmelo girarmela girami rimandarmelo rimandarmela rimandamelo reenviarmelo reenviamelo reenviarnoslo
    reenvienoslo
    giramelo giramela passamelo passamela scrivimelo scrivimela dammelo dammela mandamelo reenviamelo reenviamela
    pasamelos pasamelas mandamelos mandamelas
""".split())


_URL_TOKEN = re.compile(r"(?:https?://|www\.)\S*|\S+@\S+")


def _without_urls(window: str) -> str:
    """``window`` without its URLs and mail addresses (their words are no
    mention: "bank-update.example", "recepcion@hotel.example")."""
    if "://" in window or "www." in window or "@" in window:
        return _URL_TOKEN.sub(" ", window)
    return window


# ... or for a copy of it: "Your passport is required. Please reply with a scan."
_FOLLOW_COPIES = frozenset(b"""
    copy copies scan scans photo picture image selfie copie photocopie kopie kopien foto fotos bild copia
    fotocopia escaneo fotografia imagen scansione immagine afbeelding digitalizacao imagem
""".split())


def _follow_up(t: str, e: int) -> str | None:
    """The next sentence after the one ending after ``t[e:]``, when it asks for
    "it" (see :data:`_FOLLOW`) or a copy of it and names no sensitive noun of
    its own, else None."""
    cut = _BOUNDARY.search(t[e : e + _AFTER])
    if cut is None:
        return None
    start = e + cut.end()
    nxt = t[start : start + _AFTER]
    cut = _BOUNDARY.search(nxt)
    if cut is not None:
        nxt = nxt[: cut.start()]
    words = _words(nxt)
    # a sentence naming a sensitive noun of its own asks for that one ("We received
    # your passport; we still miss your licence, could you send it?")
    for w in _ANCHOR_BYTES.intersection(words):
        if any(_NOUN_RES[c].search(nxt) for c in _ANCHOR_CATS[w.decode()]):
            return None
    if not _FOLLOW_FUSED.isdisjoint(words):
        return nxt
    if not _FOLLOW_COPIES.isdisjoint(words) and not _CUE_BEFORE_WORDS.isdisjoint(words) and _cue_before(nxt, words):
        return nxt  # "A copy of your passport is required. Please reply with a scan."
    if _FOLLOW_VERBS.isdisjoint(words) or _FOLLOW_PRONOUNS.isdisjoint(words):
        return None
    return nxt if _FOLLOW.search(nxt) is not None else None


# A conditional clause before the noun ("If you cannot use the app, reply with
# your IBAN"; "Falls die App nicht funktioniert, senden Sie ..."): its "not" does
# not negate the request of the main clause.
_CONDITIONAL_WORDS = frozenset(b"""
    if unless falls wenn sofern si se als indien caso qualora cuando quando wanneer case cas
    since because so avoid damit da weil um pour afin puisque comme ayant faute para pra porque como ya dado
    per perche poiche siccome dato om omdat zodat aangezien doordat ja uma
    wer whoever anyone those quien quienes chi quem ceux celui
""".split())
_CONDITIONAL = re.compile(
    r"\b(?:if|unless|falls|wenn|sofern|si|se\s+(?:non|nao)|als|indien|caso|qualora|cuando|quando|wanneer|in\s+case"
    r"|au\s+cas\s+ou|en\s+caso\s+de\s+que"
    # purpose and reason clauses ("to avoid losing data,", "pour ne pas perdre vos messages,", "damit keine
    # Daten verloren gehen,", "da kein Mandat mehr besteht,", "n'ayant plus de mandat,", "omdat er geen ... loopt,")
    r"|since|because|so\s+that|so\s+as|to\s+avoid|damit|da|weil|um|pour|afin|puisque|comme|(?:n'\s*)?ayant|faute"
    r"|para|pra|porque|como|ya\s+que|dado\s+que|per|perche|poiche|siccome|dato\s+che|om|omdat|zodat|aangezien"
    r"|doordat|ja\s+que|uma\s+vez\s+que"
    # whoever has not yet ... ("Wer noch keine Bankverbindung bei uns hinterlegt hat, schickt mir ...")
    r"|wer|whoever|anyone\s+who|those\s+who|quien|quienes|chi|quem|ceux\s+qui|celui\s+qui)\b[^,.;:!?]*,"
)


# A contrast clause before the noun ("we'll never ask for your PIN, but please
# reply with your IBAN", "Ihre PIN brauchen wir nicht, aber ...", "niet nodig,
# maar stuur ons ..."): its negation belongs to the other clause.
_BUT_WORDS = frozenset(b"but mais aber sondern pero sino ma maar mas porem".split())
_BUT = re.compile(r",\s*(?:but|mais|aber|sondern|pero|sino|ma|maar|mas|porem)\b")
#: Words of a clause that may carry a negation of its own (conditional, contrast).
_CLAUSE_WORDS = _CONDITIONAL_WORDS | _BUT_WORDS

# A consequence clause after the noun ("..., otherwise we cannot pay you",
# "sonst kann die Abrechnung nicht erstellt werden", "anders kan ik je niet
# aanmelden", "sinon nous ne pourrons pas", "altrimenti non riusciamo",
# "without it we cannot ..."): its negation is about what happens without the
# data, not about the request; the negation tests read the text without it.
_CONSEQUENCE_WORDS = frozenset(b"""
    otherwise else sonst ansonsten andernfalls anders sinon autrement sans faute altrimenti senno contrario
    senao zoniet zo without ohne sin senza zonder sem
    avoid um eviter evitar evitare voorkomen pour afin para per om
""".split())
_CONSEQUENCE = re.compile(
    r"\b(?:otherwise|or\s+else|sonst|ansonsten|andernfalls|anders|sinon|autrement|sans\s+quoi|faute\s+de\s+quoi"
    r"|altrimenti|senno|(?:in|de\s+lo|en\s+caso|caso)\s+contrario|senao|zo\s+niet|zoniet"
    r"|without\s+(?:it|them|this|these|which)|ohne\s+(?:sie|diese[nms]?|dies|das|ihn)"
    r"|sans\s+(?:cela|ceci|ces|eux|lui|elle|elles|ce\s+document|ces\s+documents)"
    r"|sin\s+(?:ella|el|ellos|ellas|esto|eso|estos|estas|esos|esas|los|las)"
    r"|senza\s+(?:di\s+)?(?:esso|essa|essi|esse|questo|questa|questi|queste|cio|lui|lei|loro)"
    r"|zonder\s+(?:dit|deze|die|dat|het|hem|ze)|sem\s+(?:ele|ela|eles|elas|isso|isto|estes|estas|esses|essas)"
    # a purpose after the request, negated: "..., um keine Nachrichten zu verlieren", "to avoid losing
    # your messages", "pour éviter / pour ne pas ...", "para evitar / para no ...", "per evitare", "om te voorkomen"
    r"|(?:so\s+as|in\s+order)\s+not\s+to|to\s+avoid|um\s+(?:\w+\s+){0,4}?(?:keine?[nmrs]?|nicht)\s+(?:\w+\s+){0,4}?zu"
    rf"|(?:pour|afin\s+d{_AP}?)\s*(?:eviter|ne\s+pas|n{_AP}\s*\w+\s+pas)|para\s+(?:evitar|no|nao)|per\s+(?:evitare|non)"
    r"|om\s+(?:\w+\s+){0,4}?(?:geen|niet)\s+(?:\w+\s+){0,4}?te|om\s+(?:\w+\s+){0,4}?te\s+voorkomen)"
    r"\b[^.;!?\n]*"
)


def _negation_view(pre: str, rest: str, awaited: bool) -> str:
    """The text the negation tests read: ``pre`` + ``rest`` (the noun, the rest
    of its sentence and any follow-up sentence) without what ``pre`` holds up
    to its last contrast (", but"), without the conditional clauses of ``pre``,
    without the consequence clauses of ``rest`` (:data:`_CONSEQUENCE`) and,
    when ``awaited``, without the "not received" phrase."""
    pre_words = _words(pre)
    if not _BUT_WORDS.isdisjoint(pre_words):
        last = None
        for last in _BUT.finditer(pre):
            pass
        if last is not None:
            pre = pre[last.end():]
    if not _CONDITIONAL_WORDS.isdisjoint(pre_words):
        pre = _CONDITIONAL.sub(" ", pre)
    if not _CONSEQUENCE_WORDS.isdisjoint(_words(rest)):
        rest = _CONSEQUENCE.sub(" ", rest)
    view = f"{pre}{rest}"
    return _AWAITED.sub(" ", view) if awaited else view


def _vetoed(ctx: dict[str, Any] | None, cat: str, kind: str) -> bool:
    """False, recording in ``ctx["vetoed"][kind]`` that a guard and not a missing
    cue kept a noun of ``cat`` from counting as a request. ``kind``:
    "negation", "mention" (a category's mention pattern) or "late" (the
    sender's own data, a value, thanks, the secure channel, ...: facts of the
    whole text, which the learned scorer may not overrule)."""
    if ctx is not None:
        ctx.setdefault("vetoed", {}).setdefault(kind, set()).add(cat)
    return False


# An elliptic request of short mail: a politeness marker right before the noun
# (at most three words between: determiners, "noch", "kurz") and a mail channel
# right after it, no verb ("bitte die Kreditkartendaten per Mail", "pls your
# passport by email", "graag uw IBAN per mail", "por favor su DNI por correo").
_ELLIPTIC_WORDS = frozenset(b"""
    please pls plz plse kindly bitte svp stp favor porfa favore graag aub alstublieft alsjeblieft ajb
""".split())
_ELLIPTIC_BEFORE = re.compile(
    r"\b(?:please|pls|plz|plse|kindly|bitte|svp|stp|por\s+favor|porfa|per\s+favore|graag|aub|alstublieft"
    r"|alsjeblieft|ajb)[\s,:]+(?:(?!(?:note|noter|notez|beachten|beachte|let|find|see|check|read)\b)[\w'-]+\s+){0,3}$"
)
_ELLIPTIC_AFTER = re.compile(
    r"[\s,]*(?:\([^()]{0,60}\)\s*)?(?:[\w'-]+\s+){0,5}?(?:by|via|per|par|por|pelo|pela|tramite)\s+"
    r"(?:e-?mail|mail|courriel|correo|correio|whatsapp|sms|text|reply|antwortmail)\b"
)


def _elliptic_cue(pre: str, post: str, pre_words: list[bytes]) -> bool:
    """Whether the noun between ``pre`` and ``post`` is asked for elliptically (:data:`_ELLIPTIC_BEFORE`)."""
    return (not _ELLIPTIC_WORDS.isdisjoint(pre_words) and _ELLIPTIC_BEFORE.search(pre) is not None
            and _ELLIPTIC_AFTER.match(post) is not None)


def _is_request(t: str, s: int, e: int, cat: str, ctx: dict[str, Any] | None = None) -> bool:
    """Whether the noun at ``t[s:e]`` (category ``cat``) is requested from the reader.

    ``ctx``: a dict shared by the nouns of one text (caches text-wide tests and
    records whether a secure channel vetoed a request)."""
    pre, post = _sentence(t, s, e)
    # A request needs a cue and no veto. The cue is "we have not received ..."
    # (_AWAITED), a cue of the sentence (_cue_before / _cue_after, after a cheap
    # word test) or a follow-up sentence asking for "it" (_follow_up). The
    # vetoes are pure, so their order does not change the result: the cheap or
    # often vetoing ones first, the rarely vetoing value / own-data / channel
    # tests last. The negation tests read _negation_view; it is the window
    # itself unless the sentence has a conditional clause or a "not received".
    pre_words = _words(pre)
    post_words = _words(post)
    window = f"{pre}{t[s:e]}{post}"
    colon = _colon_cue(post, post_words)
    awaited_word = not _AWAITED_WORDS.isdisjoint(pre_words) or not _AWAITED_WORDS.isdisjoint(post_words)
    follow = None
    if (not awaited_word and not colon and _ANY_BEFORE_WORDS.isdisjoint(pre_words)
            and _CUE_AFTER_WORDS.isdisjoint(post_words) and _ELLIPTIC_WORDS.isdisjoint(pre_words)):
        # no cue word at all (most mentions): only a follow-up sentence can ask
        # for it, and not when the sentence holds a negation word (a shortcut)
        if _CLAUSE_WORDS.isdisjoint(pre_words) and not _NEGATION_WORDS.isdisjoint(pre_words):
            return _vetoed(ctx, cat, "negation")
        follow = _follow_up(t, e)
        if follow is None:
            return False
    awaited = awaited_word and _AWAITED.search(window) is not None
    words = _words(window)
    special = awaited or not _CLAUSE_WORDS.isdisjoint(pre_words) or not _CONSEQUENCE_WORDS.isdisjoint(words)
    if not special and _negation_word(words):
        return _vetoed(ctx, cat, "negation")  # a negation word of the sentence vetoes whatever the cue (a shortcut)
    rest = window[len(pre):]
    if follow is None and not awaited and not colon and not (
        (not _CUE_BEFORE_WORDS.isdisjoint(pre_words) and _cue_before(pre, pre_words))
        or _link_cue(t, pre, pre_words)
        or _elliptic_cue(pre, post, pre_words)
        or _question_cue(t, e, pre, post, pre_words)
        or (((not _CUE_AFTER_WORDS.isdisjoint(post_words) and _cue_after(post, post_words))
             or _passive_before(pre, pre_words))
            and (cat not in _DOCUMENTS or _transferable(t, s, e, words)))
    ):
        follow = _follow_up(t, e)
        if follow is None:
            return False
    if follow is not None:
        window = f"{window} {follow}"
        rest = f"{rest} {follow}"
        words = _words(window)
        special = special or not _CONSEQUENCE_WORDS.isdisjoint(words)
    view, view_words = window, words
    if special:
        view = _negation_view(pre, rest, awaited)
        view_words = _words(view)
    if _negation_word(view_words):
        return _vetoed(ctx, cat, "negation")
    guard = _MENTION_GUARDS.get(cat)
    gate = _GUARD_WORDS.get(cat)
    if guard is not None and (gate is None or not gate.isdisjoint(words)) and guard.search(_without_urls(window)):
        return _vetoed(ctx, cat, "mention")
    if _negation_phrase(view, view_words):
        return _vetoed(ctx, cat, "negation")
    if _late_veto(t, s, e, cat, pre, post, window, words, ctx):
        return _vetoed(ctx, cat, "late")
    return True


# "Update your card details", a cue only when the text has a link to do it at
# (phishing); "update" is no mail request.
_LINK_CUE_WORDS = frozenset(b"""
    update aktualisieren aktualisiere mettez mettre actualice actualiza actualizar aggiorni aggiorna aggiornare
    werk bijwerken atualize atualiza atualizar updating actualizando aggiornando atualizando mettant
    entering typing saisissant entrant renseignant indiquant confirmant introduciendo ingresando escribiendo
    confirmando inserendo digitando indicando confermando inserindo introduzindo informando eingabe
""".split())
_LINK_CUE = re.compile(
    r"\b(?:update|aktualisieren|aktualisiere|(?:mettez|mettre)\s+a\s+jour|actualice|actualiza|actualizar|aggiorni"
    r"|aggiorna|aggiornare|werk\s+(?:\w+\s+){0,3}?bij|werk\s+(?:uw|je|jouw)|bijwerken|atualize|atualiza|atualizar"
    # by updating it at the link ("Evite a coima atualizando os dados do seu cartao no link")
    r"|updating|actualizando|aggiornando|atualizando|en\s+mettant\s+a\s+jour"
    # by entering it at the link ("validez votre compte en saisissant votre mot de passe sur http://...")
    r"|by\s+(?:entering|typing)|en\s+(?:saisissant|entrant|renseignant|indiquant|confirmant)|introduciendo|ingresando"
    r"|escribiendo|confirmando|inserendo|digitando|indicando|confermando|inserindo|introduzindo|informando"
    r"|durch\s+(?:die\s+)?eingabe)\b"
)


# A question for the value, with the article, right before the noun, in a sentence that ends in
# a question mark, the noun its head ("what's the password of the wifi?", "qual e a senha do app
# do banco?", "wie war nochmal das Passwort fur die App?", "wat is de pincode?"); not "What is
# the password policy?" or "Was ist die Steuer-ID und wo finde ich sie?" (_question_cue).
_QUESTION_WORDS = frozenset(b"what whats quel quelle quels quelles quoi koi wie was cual cuales qual quali quais wat".split())
_QUESTION_BEFORE = re.compile(
    rf"\b(?:what(?:{_AP}s|\s+is|\s+are|s)\s+(?:the|ur)|(?:quel|quelle|quels|quelles)\s+(?:est|sont)\s+(?:le|la|les|l)"
    r"|(?:wie|was)\s+(?:lautet|lauten|ist|sind|war)\s+(?:(?:nochmal|noch\s+mal|gleich|eigentlich)\s+)?(?:das|die|der|den)"
    r"|(?:cual|cuales)\s+(?:es|son|era)\s+(?:el|la|los|las)"
    r"|(?:qual|quali)\s+(?:e|sono|era)\s+(?:il|la|i|le|l)|(?:qual|quais)\s+(?:e|sao|era)\s+(?:o|a|os|as)"
    r"|wat\s+(?:is|zijn|was)\s+(?:het|de|je)|c\s*(?:est\s+quoi|koi)\s+(?:le|la|ton|ta|votre))\s+(?:[\w-]+\s+)?$"
)
# what may follow the noun in such a question: nothing, or whose it is ("of the wifi", "do app do banco")
_QUESTION_AFTER = re.compile(
    r"\s*(?:(?:of|for|on|to|from|van|voor|bij|op|de|del|della|dello|dei|di|du|des|da|do|dos|das|fur|von|vom|der|zum|zur"
    r"|para|pra|per|al|au|aux)\b[^,]*)?\s*$"
)


def _question_cue(t: str, e: int, pre: str, post: str, pre_words: list[bytes]) -> bool:
    """Whether the noun ending at ``e`` is what a question asks for (:data:`_QUESTION_BEFORE`)."""
    if _QUESTION_WORDS.isdisjoint(pre_words) or _QUESTION_BEFORE.search(pre) is None:
        return False
    end = e + len(post)
    return end < len(t) and t[end] == "?" and _QUESTION_AFTER.match(post) is not None


#: Words of any cue before the noun (a window without any of them and without an
#: after-cue word has no cue of its own).
_ANY_BEFORE_WORDS = _CUE_BEFORE_WORDS | _PASSIVE_BEFORE_WORDS | _LINK_CUE_WORDS | _QUESTION_WORDS


def _link_cue(t: str, pre: str, pre_words: list[bytes]) -> bool:
    """Whether ``pre`` asks to update the data and the text ``t`` has a link to do it at."""
    return (not _LINK_CUE_WORDS.isdisjoint(pre_words) and _LINK_CUE.search(pre) is not None
            and _LINKISH.search(t) is not None)


# Anchor words with digits, under their digit-free form (the pre-check deletes digits).
_DIGIT_ANCHORS: dict[bytes, tuple[bytes, ...]] = {}
for _w in _ANCHOR_BYTES:
    if _w != _w.translate(None, _DIGITS):
        _DIGIT_ANCHORS[_w.translate(None, _DIGITS)] = _DIGIT_ANCHORS.get(_w.translate(None, _DIGITS), ()) + (_w,)
del _w


def _normalised_if_anchored(text: str) -> tuple[str, frozenset[bytes], list[bytes]] | None:
    """``normalise(text)``, the anchor words it may hold and the pre-check's
    words, or None when it holds no anchor word (the fast path).

    The anchor words come from the pre-check (the words with their digits
    deleted), with the anchors that have digits added back ("cvv" -> "cvv2"):
    a superset of the anchor words of ``normalise(text)``; the scan checks
    where each occurs.
    """
    # Most texts hold no anchor word: find that out before building the
    # normalised text (see _DIGITS).
    if text.isascii():
        words = text.encode("ascii").translate(_LOWER_SEPARATORS, _DIGITS).split()
        if _ANCHOR_BYTES.isdisjoint(words):
            return None
        t = text.lower()
    else:
        b = _latin1(text)
        if b is None:
            t = _normalise_unicode(text)
            words = t.encode("ascii").translate(_SEPARATORS, _DIGITS).split()
            if _ANCHOR_BYTES.isdisjoint(words):
                return None
        else:
            words = b.translate(_LATIN1_SEPARATORS, _LATIN1_DELETE_DIGITS).split()
            if _ANCHOR_BYTES.isdisjoint(words):
                return None
            t = b.translate(_LATIN1_TABLE, _LATIN1_DELETE).decode("ascii")
    hits = _ANCHOR_BYTES.intersection(words)
    for w in _DIGIT_ANCHORS.keys() & hits:
        hits = hits.union(_DIGIT_ANCHORS[w])
    return t, hits, words


def _requests_in(t: str, ctx: dict[str, Any] | None = None, hits: Iterable[bytes] | None = None,
                 coarse: list[bytes] | None = None) -> frozenset[str]:
    """:func:`find_requests` on the normalised text ``t`` (``ctx``: see
    :func:`_is_request`; ``hits``: a superset of its anchor words, found when
    None; ``coarse``: the pre-check's words)."""
    if hits is None:
        words = _words(t)
        hits = _ANCHOR_BYTES.intersection(words)
        if ctx is not None:
            ctx["words"] = words
    else:
        words = coarse
    if hits and words is not None:
        pairs = _PAIR_ANCHOR_BYTES.intersection(words)
        if pairs:
            hits = set(hits) | pairs
    found: set[str] = set()
    checked: dict[tuple[int, int, str], bool] = {}  # (start, end, category) of a noun -> requested
    if ctx is None:
        ctx = {}
    if coarse is not None:
        ctx["coarse"] = coarse
    n = len(t)
    for bword in hits:
        word = bword.decode("ascii")
        cats = [c for c in _ANCHOR_CATS[word] if c not in found]
        if not cats:
            continue
        size = len(word)
        pair = _PAIR_AT.get(word)
        i = t.find(word)
        while i >= 0:
            j = i + size
            if ((i == 0 or not t[i - 1].isalnum()) and (j == n or not t[j].isalnum())
                    and (pair is None or pair(t, i, j))):
                ws, we = max(0, i - _WIN_BEFORE), j + _WIN_AFTER
                starts = None
                for cat in cats:
                    if cat in found:
                        continue
                    # The matches of _NOUN_RES[cat].finditer(t, ws, we) come in
                    # order and do not overlap: the first one ending after i is
                    # the only one that can cover the anchor. They are found by
                    # matching at the word starts up to i, as finditer would.
                    if starts is None:
                        starts = [m.start() for m in _WORD_START.finditer(t, ws, i + 1)]
                    table = _NOUN_AT[cat]
                    pos = ws
                    for p in starts:
                        if p < pos:
                            continue
                        rx = table.get(t[p])
                        if rx is None:
                            continue
                        m = rx.match(t, p, we)
                        if m is None:
                            continue
                        s, e = m.span()
                        if e <= i:
                            pos = e
                            continue
                        key = (s, e, cat)
                        hit = checked.get(key)
                        if hit is None:
                            hit = checked[key] = _is_request(t, s, e, cat, ctx)
                        if hit:
                            found.add(cat)
                        break
                if all(c in found for c in cats):
                    break
            i = t.find(word, j)
    return frozenset(found)


# ---------------------------------------------------------------------------
# learned request scorer (beside the rules)
#
# The rules above decide from listed cue phrases and guards; on text written
# by another author they miss requests phrased in ways they do not list and
# accept some mentions. A small logistic-regression scorer, trained on the
# labelled dev sets by scripts/train_sensitive.py and stored in
# detectors/data/sensitive_model.json, reads the words around each sensitive
# noun (found by the same noun regexes) and gives, per category, the
# probability that the mail asks for it. The two are combined per category:
# a category the rules find is dropped only when the model is confident it is
# no request (p < veto), and a category the rules miss is added only when the
# model is confident it is one (p > rescue) and no text-level or negation veto
# of the rules rejected it (_BLOCKING_VETOES). Scoring is a sum of stored
# weights over features listed in text order, compared with the logits of the
# two thresholds (no exp, no set or hash order): identical on any Python.

_MODEL_FILE = Path(__file__).resolve().parent / "data" / "sensitive_model.json"
# Sentence ends for the model's context (no colon: "Your IBAN: please send it").
_MODEL_SPLIT = re.compile(r"[.!?;\n]+(?=\s|$)|\n")
_MODEL_STEM = 5  # words are also represented by their first 5 letters (inflections, compounds)
_MODEL_NEAR = 5  # words this close to the noun get "near" features as well


# Word classes for the scorer: generic function words and verbs of each language,
# so that what is learned from one language's negation or upload carries over to
# another's and to unseen inflections. A token's class is a feature beside the token.
_MODEL_CLASSES = {
    "NEG": """not no never nor none nothing dont don't doesnt doesn't didnt didn't wont won't cannot cant can't
        isnt isn't arent aren't shouldnt shouldn't mustn't without
        ne n' pas jamais aucun aucune rien ni sans inutile
        nicht nie niemals kein keine keinen keinem keiner keines nichts ohne weder
        nunca jamas ningun ninguna ninguno nada tampoco sin
        non mai nessun nessuno nessuna niente nulla senza ne
        niet nooit geen niets zonder noch
        nao nunca jamais nenhum nenhuma nada nem sem""",
    "CHANNEL": """app apps application appli aplicacion aplicacao aplicativo applicazione portal portale portail
        portaal banking onlinebanking internetbanking homebanking bankingapp espace area zona postfach
        kundenportal kundenbereich klantomgeving omgeving secure sicher securise sicuro seguro segura
        beveiligd beveiligde veilig sicheren sicheres securisee riservata reservada privada privee
        online website site sito web plateforme plataforma piattaforma platform plattform""",
    "UPLOAD": """upload uploading uploaded uploaden upload hochladen hochzuladen laden telecharger televerser
        televersez telechargez deposer deposez subir suba subalo cargar carga caricare carica caricate
        caricalo carregar carregue anexe""",
    "MAIL": """email emails mail mails e courriel courriels correo correos mensaje message messages nachricht
        messaggio bericht berichten mensagem reply repondre repondez reponse antwort antworten antworte
        beantworten responder responda respuesta rispondere rispondi risposta beantwoorden antwoord
        reageer resposta responda attach attached attachment piece jointe anhang anhangen adjunto
        adjunte allegato allegare bijlage anexo whatsapp sms""",
    "INSTEAD": """instead rather statt anstatt sondern lieu plutot lugar vez invece anziche plaats""",
    "PLEASE": """please pls kindly merci veuillez svp stp bitte favor gentilmente cortesemente per favore
        gelieve graag alstublieft aub vriendelijk""",
    "NEED": """need needs needed require required requires requirement must mandatory necessary
        besoin requis requise necessaire obligatoire devez devrez faut exige
        benotigen benotigt brauchen braucht erforderlich notwendig verpflichtet pflicht mussen musst muss
        necesitamos necesita necesario necesaria obligatorio obligatoria requiere debe deberá
        bisogno serve servono necessario necessaria obbligatorio richiesto richiesta deve dovra
        nodig vereist verplicht moet moeten noodzakelijk
        precisamos precisa necessario necessaria obrigatorio obrigatoria deve devera""",
    "MISSING": """missing still yet outstanding manque manquant manquante encore fehlt fehlen fehlende noch ausstehend
        falta faltan pendiente todavia aun manca mancano ancora mancante ontbreekt ontbreken nog faltam
        ainda pendente""",
    "RECEIVED": """received receipt thank thanks recu recue recus merci erhalten danke dank vielen recibido
        recibimos gracias ricevuto ricevuti grazie ontvangen bedankt dank recebido recebemos obrigado
        obrigada already deja bereits schon ya gia al ja""",
    "OUR": """our ours notre nos unser unsere unseren unserer unserem nuestro nuestra nuestros nuestras
        nostro nostra nostri nostre onze ons nosso nossa nossos nossas""",
    "PERSON": """desk counter comptoir guichet agence schalter filiale mostrador oficina ventanilla sucursal
        sportello filiale balie loket kantoor balcao agencia bring apporter munir mitbringen traer portare
        meenemen trazer present presenter presentez vorzeigen vorlegen mostrar mostri tonen""",
    "FRAUD": """phishing fraud fraudulent scam scams suspicious fraude frauduleux arnaque betrug betruger
        verdachtig estafa sospechoso truffa truffe sospetto oplichting oplichters verdacht golpe golpes
        suspeito criminals criminels kriminelle delincuentes criminali criminelen criminosos""",
    "SEND": """send sending sent forward provide share submit supply give transmit mail email return
        envoyer envoyez envoie envoyes transmettre transmettez fournir fournissez communiquer communiquez
        adresser adressez faire parvenir joindre joignez partager
        senden schicken sende schicke zusenden zuschicken ubermitteln ubersenden mitteilen weiterleiten
        weitergeben geben nennen zukommen mailen
        enviar envie envienos mandar mande remitir facilitar proporcionar compartir indicar comunicar
        inviare invia inviaci inviate mandare mandaci trasmettere fornire condividere comunicare indicare
        sturen stuur sturen opsturen toesturen mailen doorgeven geven bezorgen delen verstrekken
        enviar envie enviem mandar mande encaminhar fornecer partilhar compartilhar informar indicar""",
}
# Request intent in short, informal mail (generic vocabulary of each language):
# politeness markers and their abbreviations, question forms that ask the reader
# to do something, and colloquial send / reply / forward verbs, with the
# enclitic imperatives of es / it / pt ("mandame", "giramelo", "manda-mo").
_MODEL_CLASSES_INFORMAL = {
    "PLEASE": """plz plse pleas pleeze thx thanx ty ta cheers porfa porfis porfavor xfa pf pfv fav favore
        plait gentileza bitteschon bittesehr danke alsjeblieft ajb svp stp aub asap urgente dringend urgent""",
    "ASK": """can could would will u you canst peux pouvez pourriez pourrais pourrait peut tu vous
        kannst konnen konnten konntest konnt konntet durfen darf wurden wurdest mogen mochten
        puedes puede podrias podria pueden podrian podes pode poderia poderias podem puoi puo potresti potrebbe
        potete potreste potrebbero kun kunt kan zou zouden wil wilt""",
    "SEND": """text texting shoot flick drop pass fwd forward ping dm whatsapp resend reply
        envoie envoies envoyer renvoie renvoyer renvoyez transfere transferer transferez balance file
        schick schickst schickt schicken schicke sende sendest maile mailst weiterleiten zusenden
        manda mandame mandamelo mandamela mandalo mandala mandas mandes pasame pasamelo envia enviame enviamelo
        reenvia reenviame reenvias reenviar
        mandami mandamelo mandamela mandaci mandacelo girami giramelo giramela girala giralo inoltra inoltrami
        rimanda rimandami rimandarmi inviami inviamelo scrivimi passami
        stuur stuurt stuuren doorsturen doorsturen doormailen mailen mail mailt appen app stuurtje
        envia envie envias manda-me manda-mo manda-ma mandem reencaminha reencaminhe encaminha passa""",
    "PERSON": """bring bringing brought carry show showing present presenting airport checkin check-in reception
        apportez apporter apporte munissez presentez presenter montrez aeroport accueil reception
        mitbringen mitnehmen mitbringt mitzubringen vorzeigen vorlegen vorweisen dabei flughafen rezeption empfang
        llevar lleve lleves lleva llevad traer traiga traigas trae muestre muestra mostrar presente presentar
        aeropuerto recepcion mostrador
        portare porti porta portate mostrare mostri esibire esibisca aeroporto reception
        meenemen meebrengen neem breng tonen toon laten luchthaven receptie balie
        levar leve traga trazer mostre mostrar apresentar apresente aeroporto rececao recepcao""",
    "MAIL": """courriel mel mail mails e-mail email emails inbox correo correu correio mailtje reply here aqui aqui ici hier qui
        antwortmail antwort rueckantwort reponse""",
}
for _c in sorted(_MODEL_CLASSES_INFORMAL):
    _MODEL_CLASSES[_c] = _MODEL_CLASSES.get(_c, "") + " " + _MODEL_CLASSES_INFORMAL[_c]
_MODEL_CLASS_OF: dict[str, str] = {}
for _c in sorted(_MODEL_CLASSES):
    for _w in _MODEL_CLASSES[_c].split():
        _MODEL_CLASS_OF.setdefault(_w, _c)
del _c, _w
_MODEL_USE_CLASSES = True


_MODEL_WORD = re.compile(r"<url>|<at>|[a-z0-9]+(?:'[a-z]+)?")
# a link: a URL, or a bare domain with a common top-level domain ("bank-verify.de/login")
_MODEL_LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|online|site|app|io|eu"
    r"|uk|ie|fr|be|ch|lu|de|at|es|mx|ar|co|cl|pe|it|nl|pt|br)\b(?:/\S*)?"
)
_MODEL_LINK_HINT = re.compile(r"\.\w|://")  # a dot before a letter or digit: maybe a link
_MODEL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_MODEL_DIGIT = re.compile(r"\d")


def _model_tokens(t: str) -> list[str]:
    """Tokens of a piece of normalised text: words, a link as ``<url>``, a mail
    address as ``<at>``, a number as ``<d>``."""
    if "@" in t:
        t = _MODEL_ADDRESS.sub(" <at> ", t)
    if "." in t and _MODEL_LINK_HINT.search(t) is not None:
        t = _MODEL_LINK.sub(" <url> ", t)
    words = _MODEL_WORD.findall(t)
    if _MODEL_DIGIT.search(t) is None:
        return words
    return ["<d>" if w.isdigit() else w for w in words]


def _noun_spans(t: str) -> list[tuple[int, int, str]]:
    """(start, end, category) of the sensitive nouns of the normalised text ``t``,
    sorted: the :data:`_NOUN_RES` matches covering an anchor word."""
    words = _words(t)
    hits = sorted(_ANCHOR_BYTES.intersection(words) | _PAIR_ANCHOR_BYTES.intersection(words))
    spans = set()
    n = len(t)
    for bword in hits:
        word = bword.decode("ascii")
        cats = _ANCHOR_CATS[word]
        pair = _PAIR_AT.get(word)
        size = len(word)
        i = t.find(word)
        while i >= 0:
            j = i + size
            if ((i == 0 or not t[i - 1].isalnum()) and (j == n or not t[j].isalnum())
                    and (pair is None or pair(t, i, j))):
                ws, we = max(0, i - _WIN_BEFORE), j + _WIN_AFTER
                for cat in cats:
                    for m in _NOUN_RES[cat].finditer(t, ws, we):
                        if m.end() > i:
                            if m.start() <= i:
                                spans.add((m.start(), m.end(), cat))
                            break
            i = t.find(word, j)
    return sorted(spans)


def _model_features(t: str) -> tuple[dict[str, list[str]], list[str]]:
    """Features of the normalised text ``t``: per category it names, and of the whole mail.

    For every noun of a category (:func:`_noun_spans`): the words of its
    sentence before and after it (whole and stemmed), the nearest ones, the
    word bigrams of the sentence with the noun masked as ``<N>``, the stems of
    the previous and next sentences, and the word classes
    (:data:`_MODEL_CLASSES`) of all those. The mail's features are the stems
    and classes of all its words; they count for every category. Returns
    (category -> feature names, mail feature names), each name once, in the
    order met (categories in :data:`CATEGORIES` order); a category with no
    noun is absent, and a text without any gives ``({}, [])``.
    """
    mentions = _noun_spans(t)
    if not mentions:
        return {}, []
    st = _MODEL_STEM
    classes = _MODEL_CLASS_OF if _MODEL_USE_CLASSES else {}
    cuts = [0]
    cuts.extend(m.end() for m in _MODEL_SPLIT.finditer(t))
    cuts.append(len(t))
    sent_tokens: dict[int, list[str]] = {}
    out: dict[str, dict[str, None]] = {}
    for s, e, cat in mentions:
        k = bisect.bisect_right(cuts, s) - 1
        a, b = cuts[k], cuts[k + 1]
        pre, post = _model_tokens(t[a:s]), _model_tokens(t[e:b])
        f = out.get(cat)
        if f is None:
            f = out[cat] = {"bias": None, "cat=" + cat: None}
        for i, w in enumerate(reversed(pre)):
            f["b:" + w] = f["bs:" + w[:st]] = None
            c = classes.get(w)
            if c is not None:
                f["B:" + c] = None
            if i < _MODEL_NEAR:
                f["nb:" + w[:st]] = None
                if c is not None:
                    f["NB:" + c] = None
        for i, w in enumerate(post):
            f["a:" + w] = f["as:" + w[:st]] = None
            c = classes.get(w)
            if c is not None:
                f["A:" + c] = None
            if i < _MODEL_NEAR:
                f["na:" + w[:st]] = None
                if c is not None:
                    f["NA:" + c] = None
        seq = pre + ["<N>"] + post
        for x, y in zip(seq, seq[1:]):
            f["g:" + x + "_" + y] = None
        for kk, tag, up in ((k - 1, "p:", "P:"), (k + 1, "n:", "N:")):
            if 0 <= kk < len(cuts) - 1:
                toks = sent_tokens.get(kk)
                if toks is None:
                    toks = sent_tokens[kk] = _model_tokens(t[cuts[kk] : cuts[kk + 1]])
                for w in toks:
                    f[tag + w[:st]] = None
                    c = classes.get(w)
                    if c is not None:
                        f[up + c] = None
    mail: dict[str, None] = {}
    for w in dict.fromkeys(_model_tokens(t)):
        mail["m:" + w[:st]] = None
        c = classes.get(w)
        if c is not None:
            mail["M:" + c] = None
    return {cat: list(out[cat]) for cat in CATEGORIES if cat in out}, list(mail)


def _load_model(path: Path = _MODEL_FILE) -> dict[str, Any] | None:
    """The stored scorer: ``weights`` (feature -> float), ``veto`` and ``rescue``
    logits; None when the file is absent (the rules alone then decide)."""
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except FileNotFoundError:
        return None
    return _load_model_dict(m)


def _load_model_dict(m: Mapping[str, Any]) -> dict[str, Any]:
    """The scorer of a stored model dict: thresholds (probabilities) turned into logits."""
    return {
        "weights": dict(m["weights"]),
        "veto": math.log(m["veto"] / (1 - m["veto"])),
        "rescue": math.log(m["rescue"] / (1 - m["rescue"])),
    }


_MODEL = _load_model()


def _model_logits(t: str, model: dict[str, Any] | None = None) -> dict[str, float]:
    """Category -> logit of "the mail asks for it", for the categories named in the normalised text ``t``."""
    model = _MODEL if model is None else model
    if model is None:
        return {}
    w = model["weights"]
    local, mail = _model_features(t)
    if not local:
        return {}
    zm = 0.0
    for x in mail:
        v = w.get(x)
        if v is not None:
            zm += v
    out = {}
    for cat, feats in local.items():
        z = zm
        for x in feats:
            v = w.get(x)
            if v is not None:
                z += v
        out[cat] = z
    return out


def _combine(t: str, rules: frozenset[str], model: dict[str, Any] | None,
             vetoed: Iterable[str] = ()) -> frozenset[str]:
    """The rules' categories ``rules`` for the normalised text ``t``, corrected by the
    scorer ``model`` (None: the rules alone): each category the rules find is kept
    unless its logit is at most ``model["veto"]``, each other category named in
    the text is added when its logit exceeds ``model["rescue"]`` and it is not in
    ``vetoed`` (categories a blocking veto of the rules rejected: text-level,
    "late", or negation; :func:`_blocked`), the text does not tell the reader
    there is nothing to do (:data:`_NOTHING_TO_DO`) and, for card_number, the
    text does not name the reader's card or account by its masked or last
    digits (:data:`_CARD_BY_ITS_DIGITS`, :data:`_ACCOUNT_BY_ITS_DIGITS`).
    The three text searches run only when the scorer would add a category."""
    if model is None:
        return rules
    logits = _model_logits(t, model)
    if not logits:
        return rules
    veto, rescue = model["veto"], model["rescue"]
    keep = [c for c in CATEGORIES if c in logits and c in rules and logits[c] > veto]
    added = [c for c in CATEGORIES if c in logits and c not in rules and logits[c] > rescue and c not in vetoed]
    if added:
        added = _rescuable(t, added, bool(rules))
    keep.extend(added)
    keep.extend(c for c in rules if c not in logits)
    return frozenset(keep)


def _rescuable(t: str, cats: list[str], asked: bool = False) -> list[str]:
    """The categories of ``cats`` the scorer may add to the normalised text ``t``
    (see :func:`_combine`; ``asked``: the rules found a request in it)."""
    if _NOTHING_TO_DO.search(t) is not None:
        return []
    if "card_number" in cats and (_CARD_BY_ITS_DIGITS.search(t) is not None
                                  or _ACCOUNT_BY_ITS_DIGITS.search(t) is not None):
        cats = [c for c in cats if c != "card_number"]
    if not asked and "bank_account" in cats and _ACCOUNT_BY_ITS_DIGITS.search(t) is not None:
        # a notice about the reader's account named by its masked digits ("wir bestätigen die folgende
        # Änderung an Ihrem Konto DE** **** 3292") in which the rules find no request at all: the
        # scorer may not add bank_account (where the rules find one, "reply with a photo of your
        # passport and your IBAN", it may: ``asked``)
        cats = [c for c in cats if c != "bank_account"]
    if cats and _OWN_WORDS.intersection(_words(t)):
        cats = _not_only_own(t, cats)
    if cats:
        cats = _not_only_given(t, cats)
    if cats and _TRIVIA.search(t) is not None:
        return []
    if cats and _secure_text(t):
        # the text points to a secure channel instead of mail: no rescue, as the rules' secure
        # veto (but credentials typed in at a link stay open: phishing)
        cats = [c for c in cats if c == "password" and _LINKISH.search(t) is not None]
    return cats


# Trivia about a document or number, not a request ("Le saviez-vous ? Dans le numéro de
# sécurité sociale, le premier chiffre indique le sexe", "Wussten Sie schon? Die
# Rentenversicherungsnummer enthält ...", "Curiosidade: os dois últimos dígitos do CPF").
_TRIVIA = re.compile(
    rf"\b(?:did\s+you\s+know|fun\s+fact|le\s+saviez[\s-]vous|saviez[\s-]vous\s+que|wussten\s+sie\s+(?:schon|dass)"
    r"|wusstest\s+du\s+(?:schon|dass)|sabias\s+que|sabia\s+que|lo\s+sapevi|sapevate\s+che|sapevi\s+che|wist\s+je\s+(?:dat|datje)"
    r"|wist\s+u\s+dat|curiosidade|curiosidad|curiosita)\b"
)

# The sender gives the data or document to the reader: a number has been assigned to them
# ("Se le ha asignado número de afiliación", "Le è stato attribuito un codice fiscale
# provvisorio", "O NIF e o número de utente foram atribuídos", "Ihnen wurde eine Steuer-ID
# zugeteilt") or a document is attached by the sender ("In de bijlage vindt u ... een kopie
# van het paspoort van onze directeur", "Please find attached", "Lo encontrará en la
# resolución adjunta"). A noun in such a sentence is given, not asked for.
_GIVEN = re.compile(
    r"\b(?:(?:has|have|had)\s+been\s+(?:assigned|allocated|issued)|(?:was|were|is|are)\s+(?:assigned|allocated|issued)\s+to"
    r"|(?:vous\s+)?a\s+ete\s+attribuee?|(?:ont|a)\s+ete\s+attribuee?s?|(?:vous\s+)?(?:a|ont)\s+ete\s+(?:attribu|delivr)"
    r"|(?:wurden?|ist|sind)\s+(?:ihnen\s+|dir\s+)?(?:[\w-]+\s+){0,3}?(?:zugeteilt|zugewiesen|vergeben|ausgestellt)\b"
    r"|(?:se\s+)?(?:le|te|les)\s+(?:ha|han)\s+(?:sido\s+)?asignad|(?:ha|han)\s+sido\s+asignad"
    r"|(?:e|sono)\s+stat[oaie]\s+(?:attribuit|assegnat|rilasciat)|(?:le|ti|vi|gli)\s+(?:e|sono)\s+stat[oaie]\s+(?:attribuit|assegnat)"
    r"|(?:foi|foram)\s+(?:\w+\s+)?(?:atribuid|emitid)"
    r"|(?:is|zijn|werd|werden)\s+(?:aan\s+u\s+|u\s+)?(?:toegekend|toegewezen|uitgereikt)"
    # the writer has entered or uploaded it ("Ya cargué en el sistema el RFC y la CLABE del nuevo proveedor")
    rf"|i(?:{_AP}ve|\s+have)?\s+(?:already\s+|just\s+)?(?:entered|uploaded|added|registered|saved|updated)\b"
    r"|ya\s+(?:cargue|subi|registre|ingrese|actualice|di\s+de\s+alta)|(?:ho|abbiamo)\s+(?:gia\s+)?(?:inserito|caricato|registrato|salvato|aggiornato)"
    rf"|j{_AP}?\s*ai\s+(?:deja\s+)?(?:saisi|enregistre|ajoute|televerse|mis\s+a\s+jour)|ich\s+habe\s+(?:[\w-]+\s+){{0,6}}?(?:eingetragen|hinterlegt|eingegeben|hochgeladen|aktualisiert)"
    r"|ik\s+heb\s+(?:[\w-]+\s+){0,6}?(?:ingevoerd|ingevuld|geupload|toegevoegd|bijgewerkt)|ja\s+(?:carreguei|registei|registrei|inseri|cadastrei|atualizei)"
    # where the number is printed or listed ("Votre numéro fiscal figure en haut de la première page de
    # l'avis", "Wie gewohnt sind darauf auch Ihre Steuer-ID ... aufgeführt", "it appears on your payslip")
    r"|\bfigure(?:nt)?\s+(?:en\s+haut|sur|dans|au|en\s+bas)|(?:sind|ist)\s+(?:[\w-]+\s+){0,8}?aufgefuhrt\b"
    r"|\b(?:appears?|is\s+(?:printed|shown|listed))\s+(?:at\s+the\s+top\s+)?(?:on|in)\b|\bsteht\s+(?:oben\s+)?auf\b"
    r"|\bstaat\s+(?:vermeld\s+)?(?:op|in)\b|\baparece\s+(?:en|no|na)\b|\bfigura\s+(?:en|no|na)\b|\bconsta\s+(?:en|no|na|do|da)\b"
    r"|\bsi\s+trova\s+(?:sul|sulla|nel|nella)\b|\b(?:e|sono)\s+riportat[oaie]\s+(?:sul|sulla|nel|nella)\b"
    r"|please\s+find\s+attached|attached\s+(?:is|are|please\s+find|you\s+will\s+find)|(?:you\s+will\s+)?find\s+attached"
    r"|(?:vous\s+trouverez|veuillez\s+trouver)\s+ci-?\s*joint|ci-?\s*joint\s+(?:vous\s+trouverez|le|la|les|une?)\b"
    r"|anbei\s+(?:finden|erhalten|senden|ubersenden)|im\s+anhang\s+(?:finden|erhalten)\s+sie"
    r"|(?:lo|la|los|las)\s+encontrara\s+(?:en\s+)?(?:el|la)\s+(?:\w+\s+)?adjunt|adjunto\s+(?:le|te|les)\s+(?:enviamos|remitimos|envio|remito)"
    r"|in\s+allegato\s+(?:trova|trovate|le\s+inviamo|ti\s+invio)|trova\s+in\s+allegato|(?:riportat|indicat)[oaie]\s+nel(?:l)?\s*(?:\w+\s+)?allegat"
    r"|^\s*adjunto\s+(?:la|el|los|las|una?|le|te|les)\b|^\s*(?:in\s+)?(?:de\s+)?bijlage\s*[,:]"
    r"|in\s+de\s+bijlage\s+(?:vindt|vind)\s+(?:u|je)|bijgevoegd\s+(?:vindt|vind|sturen)\s+(?:u|je|wij|we)"
    r"|segue\s+(?:em\s+)?anexo|(?:envio|enviamos|encontra|encontrara|vai\s+encontrar)\s+em\s+anexo"
    r"|em\s+anexo\s+(?:segue|seguem|enviamos|envio|encontra))"
)


# The writer's story of a lost, stolen or expired document, not a request ("in Rom wurden mir
# Reisepass und Kreditkarte geklaut", "roubaram-me a mochila com o passaporte", "Se me ha caducado
# el DNI y tengo que renovarlo", "Mi è scaduta la carta d'identità e devo rinnovarla").
_LOST_OR_EXPIRED = re.compile(
    r"\b(?:stolen|stole|nicked|lost\s+(?:my|our|his|her|their)|verloren|kwijtgeraakt|(?:j\s*ai|on\s+a)\s+perdu"
    r"|(?:he|hemos)\s+perdido|perdi\b|perdeu|ho\s+perso|abbiamo\s+perso|smarrit[oaie]|geklaut|gestohlen|vole|volee|voles|volees|robado|robada|robaron|me\s+robaron|rubato|rubata"
    r"|rubati|mi\s+hanno\s+rubato|gestolen|roubad[oa]s?|roubaram|furtad[oa]|(?:se\s+)?me\s+ha\s+caducado|se\s+me\s+caduco"
    r"|mi\s+e\s+scadut[oa]|(?:e|sono)\s+scadut[oa]\s+da|ist\s+mir\s+abgelaufen|m\s*a\s+expire|est\s+expiree?\s+depuis"
    r"|(?:tengo|tenemos)\s+que\s+renovar|(?:devo|dobbiamo)\s+(?:rinnovar|rifar)|(?:muss|mussen)\s+(?:\w+\s+){0,3}?(?:verlangern|erneuern)"
    r"|(?:je\s+dois|il\s+faut\s+que\s+je)\s+(?:le\s+|la\s+|les\s+)?(?:renouveler|refaire)|(?:tenho|temos)\s+(?:de|que)\s+renovar"
    r"|(?:ik\s+moet|moet\s+ik)\s+(?:\w+\s+){0,3}?(?:vernieuwen|verlengen|aanvragen))"
)
# How to choose a good password (a workshop, a tip), not a request for one ("cómo crear
# contraseñas seguras", "come scegliere password robuste", "comment créer un mot de passe solide").
_HOW_TO_CHOOSE = re.compile(
    r"\b(?:how\s+to|comment|como|come|wie\s+man|hoe\s+(?:je|u|men)?)\s+(?:\w+\s+)?(?:create|choose|pick|make|set|creer|choisir"
    r"|crear|elegir|escoger|criar|escolher|creare|scegliere|impostare|erstellen|wahlen|anlegen|maken|kiezen|aanmaken)\b"
)


def _not_only_given(t: str, cats: list[str]) -> list[str]:
    """``cats`` without the categories whose every noun in ``t`` sits in a sentence where the
    sender gives it (:data:`_GIVEN`), the writer tells of losing it or of its expiry
    (:data:`_LOST_OR_EXPIRED`), it is shown when boarding or used to sign in
    (:data:`_RESCUE_BLOCK`), its (masked) value follows it (:data:`_VALUE_AFTER`) or, for a
    password, how to choose one (:data:`_HOW_TO_CHOOSE`), so the scorer adds none of them."""
    keep: dict[str, bool] = {}
    for s, e, cat in _noun_spans(t):
        if cat not in cats:
            continue
        pre, post = _sentence(t, s, e)
        window = f"{pre}{t[s:e]}{post}"
        gone = (_GIVEN.search(window) is not None or _LOST_OR_EXPIRED.search(window) is not None
                or _RESCUE_BLOCK.search(window) is not None or _VALUE_AFTER.match(post) is not None
                or (cat == "password" and _HOW_TO_CHOOSE.search(window) is not None))
        keep[cat] = keep.get(cat, False) or not gone
    return [c for c in cats if keep.get(c, True)]


# The writer's own possessive ("my", "mon", "meine", "mi", "il mio", "mijn", "o meu"): a
# category the text names only as the writer's own ("J'ai enfin refait mon permis de
# conduire", "Das Finanzamt hat mir meine Steuernummer zugeteilt") is not asked for.
_OWN_WORDS = frozenset(b"my mon ma mes mein meine meinen meinem meiner meines mi mis mio mia miei mie mijn meu meus minha minhas".split())
# Spanish "mi(s)" directly before the noun or one adjective only: Italian "mi" is "(to) me"
# ("mi scrivi le credenziali dell'home banking?").
_MY_BEFORE = re.compile(
    r"\b(?:(?:my|mon|ma|mes|mein(?:e[mnrs]?)?|(?:il\s+|la\s+|i\s+|le\s+)?(?:mio|mia|miei|mie)|mijn"
    r"|(?:o\s+|a\s+|os\s+|as\s+)?(?:meus?|minhas?))\s+(?:[\w'-]+\s+){0,2}|mis?\s+(?:[\w'-]+\s+)?)$"
)


def _not_only_own(t: str, cats: list[str]) -> list[str]:
    """``cats`` without the categories whose every noun in ``t`` follows the writer's own
    possessive (:data:`_MY_BEFORE`), so the scorer adds none of them."""
    own: dict[str, bool] = {}
    for s, _, cat in _noun_spans(t):
        if cat in cats:
            mine = _MY_BEFORE.search(t[max(0, s - 40):s]) is not None
            own[cat] = own.get(cat, True) and mine
    return [c for c in cats if not own.get(c, False)]


#: Kinds of rule veto the scorer may not overrule by adding the category: the
#: text-level ("late") ones and negation (on the leave-one-set-out folds,
#: blocking a negated category costs fewer requests than it saves false alarms).
_BLOCKING_VETOES = ("late", "negation")


# A card named by its last digits, after at most three words of brand or kind and the
# masking characters (which normalise to spaces): "your Visa card **** 5366", "su tarjeta de
# credito Visa •••• 5366", "Ihre Karte endet auf 1234", "carte se terminant par 1234". That is
# the sender's notice about the reader's card (a payment declined, a card sent), never a
# request for its number: the scorer may not add card_number for it.
_CARD_BY_ITS_DIGITS = re.compile(
    r"\b(?:card|carte|tarjeta|carta|cartao|karte|kaart|creditcard|bankpas|betaalpas|pas)\b"
    r"(?:\s+(?:de\s+|di\s+)?(?:credit|debit|credito|debito|visa|mastercard|master|amex|maestro|electron|bancaire"
    r"|bleue|gold|platinum|classic|v\s*pay|girocard)\b){0,3}"
    r"\s*(?:[(\[]?\s*(?:ending|ending\s+in|ending\s+with|se\s+terminant\s+par|terminant\s+par|finissant\s+par"
    r"|terminada\s+en|acabada\s+en|que\s+termina\s+en|che\s+termina\s+(?:con|in)|terminante\s+(?:con|in)"
    r"|terminada\s+em|com\s+final|final|endet\s+auf|endend\s+auf|mit\s+endung|eindigend\s+op|eindigt\s+op)\s*[:]?\s*)?"
    r"(?:[x*.]{2,}\s*)?\d{4}\b(?![,.]\d)"
)


# An account named by its masked or last digits: "your account ES** **** 8799", "Ihr Konto
# DE** **** 1234", "su cuenta terminada en 4321", "IBAN FR76 **** **** 0042". Like a card
# named by its last digits, it is the sender's notice about the reader's own account (a
# transfer received, its card's limit changed): a card it names is the account's card, and
# the scorer may not add card_number or bank_account to such a text (the rules still find a
# request in it: "your account DE** **** 1234 ... please reply with your full IBAN").
_ACCOUNT_BY_ITS_DIGITS = re.compile(
    r"\b(?:account|acct|cuenta|konto|girokonto|tagesgeldkonto|compte|conto|rekening|betaalrekening|conta|iban)\b"
    r"(?:\s+(?:number|no|nr|numero|nummer|corriente|courant|corrente|bancaire|bancario|bancaria|de\s+ahorro|d\s+epargne))?"
    r"\s*[:(\[]?\s*(?:(?:ending|ending\s+in|ending\s+with|se\s+terminant\s+par|terminant\s+par|terminada\s+en"
    r"|acabada\s+en|que\s+termina\s+en|che\s+termina\s+(?:con|in)|terminada\s+em|com\s+final|endet\s+auf"
    r"|endend\s+auf|mit\s+endung|eindigend\s+op|eindigt\s+op)\s*[:]?\s*(?:[x*]{2,}\s*)*\d{2,4}\b"
    r"|[a-z]{2}[0-9x*]{0,2}(?:\s*[x*]{2,})+\s*\d{2,4}\b|(?:[x*]{2,}\s*)+\d{2,4}\b)"
)

# The sender tells the reader there is nothing to do: "You don't need to do anything",
# "Sie müssen nichts weiter tun", "No tiene que hacer nada", "Vous n'avez rien à faire",
# "Non deve fare nulla", "U hoeft niets te doen", "Não precisa de fazer nada", "No action is
# required". A notice, not a request: the scorer may add no category to such a text.
_NOTHING_TO_DO = re.compile(
    rf"\b(?:(?:you|u)\s+(?:don{_AP}?t|do\s+not|won{_AP}?t|will\s+not|needn{_AP}?t)\s+(?:need\s+to|have\s+to)?\s*"
    r"(?:do|take)\s+(?:anything|any\s+action)"
    r"|(?:there\s+is\s+)?nothing\s+(?:(?:else|more|further)\s+)?(?:for\s+you\s+)?(?:you\s+need\s+)?to\s+do\b"
    r"|no\s+(?:further\s+)?action\s+(?:is\s+)?(?:needed|required|necessary)"
    r"|(?:sie|du)\s+(?:mussen|musst|brauchen|brauchst)\s+nichts\s+(?:weiter\s+|mehr\s+|zu\s+)?"
    r"(?:tun|unternehmen|veranlassen)|(?:es\s+ist\s+)?nichts\s+(?:weiter\s+)?zu\s+tun|kein\s+handlungsbedarf"
    r"|no\s+(?:tiene|tienes|necesita|necesitas|debe|debes|hace\s+falta)\s+(?:que\s+)?hacer\s+nada"
    r"|no\s+es\s+necesario\s+que\s+(?:haga|hagas)\s+nada"
    rf"|(?:vous|tu)\s+n{_AP}?\s*(?:avez|as)\s+rien\s+(?:d{_AP}?\s*autre\s+)?a\s+faire"
    r"|aucune\s+action\s+(?:n\s*.?\s*est\s+)?(?:requise|necessaire)"
    r"|non\s+(?:deve|devi|dovete|e\s+necessario)\s+fare\s+(?:nulla|niente)|nessuna\s+azione\s+(?:e\s+)?richiesta"
    r"|(?:u|je|jij)\s+hoeft\s+niets\s+(?:meer\s+)?te\s+doen|geen\s+actie\s+(?:nodig|vereist)"
    r"|nao\s+(?:precisa|tem|necessita|e\s+necessario)\s+(?:de\s+|que\s+)?fazer\s+nada"
    r"|nenhuma\s+acao\s+(?:e\s+)?necessaria|nao\s+e\s+necessaria\s+nenhuma\s+acao)"
)


def _blocked(ctx: Mapping[str, Any]) -> frozenset[str]:
    """Categories a blocking veto (:data:`_BLOCKING_VETOES`) of the rules rejected in the text of ``ctx``."""
    vetoed = ctx.get("vetoed", {})
    return frozenset(c for kind in _BLOCKING_VETOES for c in vetoed.get(kind, ()))


def find_requests(text: str) -> frozenset[str]:
    """Categories of sensitive data that ``text`` asks its reader to provide.

    Pure function; case- and accent-insensitive. Mentions that are not
    requests (negated, password resets, the sender's own bank details, a card
    "ending in", an appointment, an upload in the app or customer portal
    instead of mail) are not reported.

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
    >>> sorted(find_requests("Bitte senden Sie uns eine Kopie Ihres Personalausweises und Ihre IBAN."))
    ['bank_account', 'id_document']
    >>> find_requests("Por favor, envíenos una copia de su pasaporte.")
    frozenset({'passport'})
    >>> find_requests("Inviateci il codice OTP ricevuto via SMS.")
    frozenset({'password'})
    >>> find_requests("Stuur ons een kopie van uw rijbewijs.")
    frozenset({'drivers_licence'})
    >>> find_requests("Envie-nos o seu NIF e os dados bancários.") == {"national_id", "bank_account"}
    True
    >>> find_requests("We will never ask for your password.")
    frozenset()
    >>> find_requests("Laden Sie Ihren Ausweis in der App hoch.")
    frozenset()
    """
    return _find_requests(text, _MODEL)


def _find_requests(text: str, model: dict[str, Any] | None, use_model: bool = True) -> frozenset[str]:
    """:func:`find_requests` with the scorer ``model`` (or the rules alone: ``use_model=False``)."""
    if not text or not isinstance(text, str):
        return frozenset()
    anchored = _normalised_if_anchored(text)
    if anchored is None:
        return frozenset()
    t = anchored[0]
    ctx: dict[str, Any] = {}
    rules = _requests_in(t, ctx, anchored[1], anchored[2])
    return _combine(t, rules, model, _blocked(ctx)) if use_model else rules


def classify(text: str) -> dict[str, Any]:
    """:func:`find_requests` with two facts about the text that explain it.

    Returns
    -------
    dict
        ``categories``: :func:`find_requests` (frozenset of str);
        ``secure_channel``: the text points to an app, portal, online banking
        or customer area (or away from mail) for handing data over, which
        keeps document uploads there from counting as requests (bool);
        ``link``: the text carries an http(s) URL (bool).

    Examples
    --------
    >>> classify("Please upload a copy of your passport in our app, not by email.")
    {'categories': frozenset(), 'secure_channel': True, 'link': False}
    >>> classify("Reply to this email with a copy of your passport.")["categories"]
    frozenset({'passport'})
    >>> r = classify("Confirm your online banking password at https://bank.example/login")
    >>> sorted(r["categories"]), r["secure_channel"], r["link"]
    (['password'], False, True)
    """
    if not text or not isinstance(text, str):
        return {"categories": frozenset(), "secure_channel": False, "link": False}
    t = normalise(text)
    ctx: dict[str, Any] = {}
    anchored = _normalised_if_anchored(text)
    cats = (_combine(t, _requests_in(t, ctx, anchored[1], anchored[2]), _MODEL, _blocked(ctx))
            if anchored is not None else frozenset())
    secure = ctx.get("secure_veto", False) or ctx.get("secure_text", _secure_text(t))
    return {"categories": cats, "secure_channel": bool(secure), "link": _URL.search(t) is not None}


def request_scores(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Precision and recall of "is a request" over labelled texts.

    A text is predicted a request when :func:`find_requests` returns any
    category, and is one when its ``label`` is ``"request"``.

    Parameters
    ----------
    rows
        Mappings with ``text`` (str), ``label`` (str), optional ``id``,
        ``lang`` and ``categories`` (the requested categories, for requests).

    Returns
    -------
    dict
        ``overall`` and ``by_lang`` (lang -> scores), each scores dict with
        ``n``, ``tp``, ``fp``, ``fn``, ``tn``, ``precision``, ``recall`` (1.0
        when undefined), ``category_exact`` (share of true positives whose
        categories equal the expected ones; None without true positives);
        ``errors``: the misclassified rows as dicts with ``id``, ``lang``,
        ``label``, ``expected`` and ``predicted`` (sorted category lists) and
        ``kind`` ("fp", "fn" or "categories").

    Examples
    --------
    >>> s = request_scores([
    ...     {"id": "a", "lang": "en", "label": "request", "categories": ["passport"],
    ...      "text": "Please send us a copy of your passport."},
    ...     {"id": "b", "lang": "en", "label": "negation", "text": "We will never ask for your PIN."},
    ... ])
    >>> s["overall"]["precision"], s["overall"]["recall"], s["errors"]
    (1.0, 1.0, [])
    """
    def new() -> dict[str, Any]:
        return {"n": 0, "tp": 0, "fp": 0, "fn": 0, "tn": 0, "exact": 0}

    overall = new()
    by_lang: dict[str, dict[str, Any]] = {}
    errors = []
    for row in rows:
        lang = str(row.get("lang") or "?")
        expected = sorted(row.get("categories") or ()) if row.get("label") == "request" else []
        predicted = sorted(find_requests(row.get("text") or ""), key=_CATEGORY_ORDER.__getitem__)
        truth, guess = row.get("label") == "request", bool(predicted)
        kind = None
        for sc in (overall, by_lang.setdefault(lang, new())):
            sc["n"] += 1
            if truth and guess:
                sc["tp"] += 1
                if set(predicted) == set(expected):
                    sc["exact"] += 1
                else:
                    kind = "categories"
            elif guess:
                sc["fp"] += 1
                kind = "fp"
            elif truth:
                sc["fn"] += 1
                kind = "fn"
            else:
                sc["tn"] += 1
        if kind is not None:
            errors.append({"id": row.get("id"), "lang": lang, "label": row.get("label"),
                           "expected": sorted(expected, key=lambda c: _CATEGORY_ORDER.get(c, 99)),
                           "predicted": predicted, "kind": kind})

    def finish(sc: dict[str, Any]) -> dict[str, Any]:
        tp, fp, fn = sc["tp"], sc["fp"], sc["fn"]
        exact = sc.pop("exact")
        sc["precision"] = tp / (tp + fp) if tp + fp else 1.0
        sc["recall"] = tp / (tp + fn) if tp + fn else 1.0
        sc["category_exact"] = exact / tp if tp else None
        return sc

    return {
        "overall": finish(overall),
        "by_lang": {lang: finish(sc) for lang, sc in sorted(by_lang.items())},
        "errors": errors,
    }


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
        """Categories requested by the message ``x``: its ``categories`` when the caller
        already ran :func:`find_requests` (the pipeline does, once per content), else
        :func:`find_requests` on its ``subject`` and ``body``."""
        if not isinstance(x, Mapping):
            return frozenset()
        given = x.get("categories")
        if isinstance(given, (frozenset, set, list, tuple)):
            return frozenset(c for c in given if c in _CATEGORY_ORDER)
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
            ``categories`` (what :func:`find_requests` gave for them, if the
            caller has it: then the text is not scanned again), ``automated``
            (bool), ``volume`` (messages of this template, a number) and
            ``unrelated`` (unrelated external recipients, int). Missing or
            malformed fields count as absent.
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

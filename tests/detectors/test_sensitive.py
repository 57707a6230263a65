"""Tests of the sensitive-data request detector (detectors/sensitive.py)."""

from __future__ import annotations

import copy
import itertools
import pickle
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import sensitive as sensitive_module
from detectors.sensitive import CATEGORIES, SensitiveRequest, find_requests, normalise

# (text, expected categories) -- requests: the reader is asked to provide the data.
POSITIVES = [
    # EN
    ("To verify your order, please reply to this email with a photo of your driver's license or passport.",
     {"drivers_licence", "passport"}),
    ("Please send us a scanned copy of your passport before Friday.", {"passport"}),
    ("Kindly provide a copy of your government-issued ID to complete the verification.", {"id_document"}),
    ("We need your Social Security Number to process your application.", {"national_id"}),
    ("Please reply with your SSN and date of birth.", {"national_id"}),
    ("To receive your refund, please provide your bank account details.", {"bank_account"}),
    ("Please send your account and routing number so we can set up direct deposit.", {"bank_account"}),
    ("Confirm your card number, expiry date and CVV by replying to this message.", {"card_number"}),
    ("To keep your account active, enter your password at the link below.", {"password"}),
    ("Please upload a photo ID and a selfie to finish onboarding.", {"id_document"}),
    ("Reply to this email with the 6-digit code we just sent to your phone.", {"password"}),
    ("A copy of your driving licence is required before we can release the vehicle.", {"drivers_licence"}),
    ("Please attach a scan of your ID card and your IBAN to this email.", {"id_document", "bank_account"}),
    ("We will need your credit card details to reserve the room.", {"card_number"}),
    ("Please share your online banking credentials so our agent can check the transfer.", {"bank_account"}),
    ("Could you email us your national insurance number?", {"national_id"}),
    ("Don't forget to send your passport and proof of identity.", {"passport", "id_document"}),
    ("URGENT: verify your PIN to unlock your card.", {"password"}),
    ("Please reply with your driver’s\nlicense number and your password.", {"drivers_licence", "password"}),
    # FR
    ("Pour vérifier votre commande, merci de répondre à cet e-mail avec une photo de votre permis de conduire "
     "ou de votre passeport.", {"drivers_licence", "passport"}),
    ("Merci de nous faire parvenir une copie de votre pièce d'identité.", {"id_document"}),
    ("Veuillez nous transmettre votre RIB afin de procéder au remboursement.", {"bank_account"}),
    ("Envoyez-nous votre numéro de sécurité sociale pour finaliser le dossier.", {"national_id"}),
    ("Merci de confirmer votre numéro de carte bancaire et le cryptogramme.", {"card_number"}),
    ("Pour des raisons de sécurité, saisissez votre mot de passe sur la page suivante.", {"password"}),
    ("Joignez une copie de votre carte d’identité et de votre passeport à votre réponse.",
     {"id_document", "passport"}),
    ("Votre relevé d'identité bancaire est nécessaire pour le versement.", {"bank_account"}),
    ("Nous avons besoin de vos coordonnées bancaires pour le virement.", {"bank_account"}),
    ("Merci de nous communiquer le code reçu par SMS.", {"password"}),
    ("N'oubliez pas de joindre votre permis de conduire.", {"drivers_licence"}),
    ("VEUILLEZ FOURNIR VOTRE NUMÉRO DE SÉCURITÉ SOCIALE (NIR).", {"national_id"}),
    # DE / ES
    ("Bitte senden Sie uns eine Kopie Ihres Reisepasses.", {"passport"}),
    ("Bitte laden Sie Ihren Personalausweis hoch.", {"id_document"}),
    ("Por favor, envíenos una copia de su pasaporte y su número de tarjeta.", {"passport", "card_number"}),
    ("Necesitamos su contraseña para verificar la cuenta.", {"password"}),
]

# Mentions that are not requests.
NEGATIVES = [
    # EN
    "We will never ask for your password.",
    "Click the link to reset your password.",
    "Your card ending in 1234 was charged $19.99.",
    "Your passport appointment is confirmed for Tuesday at 10:00.",
    "Please pay the invoice to our IBAN: FR76 3000 6000 0112 3456 7890 189.",
    "Never share your PIN or one-time code with anyone, including our staff.",
    "Your verification code is 482913. Enter this code to sign in.",
    "If you forgot your password, you can choose a new password here.",
    "Beware of emails asking you to send your bank details.",
    "You will need your passport at the airport.",
    "We have sent your new card; it expires in 2029.",
    "Remember to bring your driver's license to the rental desk.",
    "Invoice 2024-118: payment by wire transfer to the following IBAN within 30 days.",
    "Your password was changed successfully.",
    "Do not reply to this email. Your passport application is being processed.",
    "We do not store your card number on our servers.",
    "Attached is our bank details form for your records.",
    "Our team will send you your temporary password by SMS.",
    "Please confirm your attendance at the meeting on Monday.",
    "Thanks for your order! It will ship tomorrow.",
    "Your Social Security benefits statement is available online.",
    "Use a strong password and enable two-factor authentication.",
    # FR
    "Nous ne vous demanderons jamais votre mot de passe.",
    "Réinitialisez votre mot de passe en cliquant sur le lien ci-dessous.",
    "Veuillez trouver ci-joint notre RIB pour le règlement de la facture.",
    "Votre carte se terminant par 1234 a été débitée de 49,90 €.",
    "Votre rendez-vous pour le passeport est confirmé.",
    "Ne communiquez jamais votre code confidentiel.",
    "Merci de votre confiance. Votre mot de passe a été modifié.",
    "Méfiez-vous des courriels qui vous demandent vos coordonnées bancaires.",
    "Nous allons vous envoyer votre nouveau code PIN par courrier.",
    "Le paiement s'effectue par virement sur notre compte, IBAN FR76 1234 5678 9012.",
    "Votre passeport vous a été envoyé par la poste.",
    "Votre code de vérification est 123456.",
    # DE / ES
    "Wir werden Sie niemals nach Ihrem Passwort fragen.",
    "Nunca le pediremos su contraseña.",
]


@pytest.mark.parametrize("text,expected", POSITIVES)
def test_positive(text, expected):
    assert find_requests(text) == frozenset(expected)


@pytest.mark.parametrize("text", NEGATIVES)
def test_negative(text):
    assert find_requests(text) == frozenset()


def test_table_size():
    en_fr_pos = POSITIVES[:31]
    assert len(en_fr_pos) >= 25 and len(NEGATIVES) >= 25


def table_scores():
    """Precision and recall over the table (per message: any category flagged)."""
    tp = sum(1 for t, _ in POSITIVES if find_requests(t))
    fn = len(POSITIVES) - tp
    fp = sum(1 for t in NEGATIVES if find_requests(t))
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def test_precision_recall():
    precision, recall = table_scores()
    assert precision == 1.0 and recall == 1.0


@pytest.mark.parametrize(
    "category,text",
    [
        ("id_document", "Please send a copy of your identity card."),
        ("passport", "Please send a copy of your passport."),
        ("drivers_licence", "Please send a copy of your drivers license."),
        ("national_id", "Please send your social security number."),
        ("bank_account", "Please send your IBAN."),
        ("card_number", "Please send your credit card number."),
        ("password", "Please send your password."),
    ],
)
def test_each_category(category, text):
    assert find_requests(text) == {category}
    assert category in CATEGORIES


def test_case_and_accents():
    a = find_requests("MERCI DE NOUS TRANSMETTRE VOTRE PIECE D IDENTITE")
    b = find_requests("merci de nous transmettre votre pièce d’identité")
    assert a == b == {"id_document"}
    assert normalise("ÉÈÊ\u200bß’") == "eeess'"


def test_zero_width_evasion():
    assert find_requests("Please send your pass\u200bword") == {"password"}


def test_sentences_are_separate():
    # the negation belongs to another sentence
    text = "We will never ask for your password. Please send a copy of your passport."
    assert find_requests(text) == {"passport"}


def test_empty_and_bad_input():
    assert find_requests("") == frozenset()
    assert find_requests(None) == frozenset()  # type: ignore[arg-type]
    assert find_requests(12) == frozenset()  # type: ignore[arg-type]


# ---------------------------------------------------------------- detector

REQUEST = {"subject": "Order #991", "body": "Please reply with a photo of your passport."}


def test_score_zero_without_request():
    det = SensitiveRequest()
    assert det.score_one({"subject": "Hello", "body": "Your order shipped.", "automated": True,
                          "volume": 1e6, "unrelated": 100}) == 0.0


def test_base_score():
    assert SensitiveRequest().score_one(REQUEST) == 0.5
    assert SensitiveRequest(base=0.3).score_one(REQUEST) == pytest.approx(0.3)


def test_subject_is_scanned():
    assert SensitiveRequest().score_one({"subject": "Please send your IBAN", "body": None}) == 0.5


@pytest.mark.parametrize("field,values", [
    ("volume", [0, 1, 5, 20, 100, 1000, 1e9, float("inf")]),
    ("unrelated", [0, 1, 2, 5, 10, 100, 10_000]),
])
def test_monotone(field, values):
    det = SensitiveRequest()
    for automated in (False, True):
        scores = [det.score_one({**REQUEST, "automated": automated, field: v}) for v in values]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores)
        assert scores[-1] > scores[0]


def test_monotone_automated():
    det = SensitiveRequest()
    for extra in ({}, {"volume": 10}, {"unrelated": 3}, {"volume": 200, "unrelated": 50}):
        assert det.score_one({**REQUEST, **extra, "automated": True}) > det.score_one(
            {**REQUEST, **extra, "automated": False})


def test_all_signals_approach_one():
    s = SensitiveRequest().score_one({**REQUEST, "automated": True, "volume": 1e6, "unrelated": 1e6})
    assert 0.99 < s <= 1.0


@pytest.mark.parametrize("x", [
    {},
    {"subject": None, "body": None},
    {"body": REQUEST["body"], "volume": None, "unrelated": "lots", "automated": None},
    {"body": REQUEST["body"], "volume": float("nan"), "unrelated": -3},
    {"body": 42},
])
def test_missing_fields_tolerated(x):
    det = SensitiveRequest()
    s = det.score_one(x)
    assert 0.0 <= s <= 1.0
    e = det.explain(x)
    assert e["score"] == s


def test_learn_one_learns_nothing():
    det = SensitiveRequest()
    before = pickle.dumps(det)
    det.learn_one(REQUEST)
    assert pickle.dumps(det) == before


def test_pickle_and_clone():
    det = SensitiveRequest(automated_boost=0.3, volume_ref=10, fanout_ref=2, seed=7)
    x = {**REQUEST, "automated": True, "volume": 4, "unrelated": 3}
    for other in (pickle.loads(pickle.dumps(det)), copy.deepcopy(det), det.clone()):
        assert other.score_one(x) == det.score_one(x)
        assert other._get_params() == det._get_params()
    assert det._get_params() == {"automated_boost": 0.3, "volume_ref": 10, "fanout_ref": 2,
                                 "base": 0.5, "seed": 7}


def test_unit_test_params():
    for params in SensitiveRequest._unit_test_params():
        SensitiveRequest(**params).score_one(REQUEST)


@pytest.mark.parametrize("bad", [
    {"automated_boost": 1.0}, {"automated_boost": -0.1}, {"volume_ref": 0}, {"fanout_ref": -1},
    {"base": 0.0}, {"base": 1.0},
])
def test_bad_params(bad):
    with pytest.raises(ValueError):
        SensitiveRequest(**bad)


def test_explain_has_no_content():
    secret_words = ["photo", "passport", "reply", "order", "991"]
    x = {**REQUEST, "automated": True, "volume": 3, "unrelated": 2}
    e = SensitiveRequest().explain(x)
    assert e["categories"] == ["passport"]
    assert set(e) == {"categories", "score", "automated", "volume", "unrelated"}
    flat = repr({k: v for k, v in e.items() if k != "categories"}).lower()
    for w in secret_words:
        assert w not in flat
    # categories come from the fixed vocabulary, never from the text
    assert set(e["categories"]) <= set(CATEGORIES)
    for text, _ in POSITIVES:
        e = SensitiveRequest().explain({"body": text})
        assert set(e["categories"]) <= set(CATEGORIES)
        for v in e.values():
            assert not (isinstance(v, str) and v and v in text)


def test_explain_orders_categories():
    e = SensitiveRequest().explain({"body": "Please send your password, IBAN and passport."})
    assert e["categories"] == ["passport", "bank_account", "password"]


# ------------------------------------------------- internal consistency

CUE_SAMPLES = [
    "send", "sending", "resend", "provide", "providing", "reply", "replying", "respond with", "attach",
    "upload", "share", "confirm", "verify", "validate", "enter", "submit", "include", "forward", "fill in",
    "fill out", "input", "furnish", "supply", "email us", "e-mail me", "mail us", "text me", "fax us",
    "whatsapp me", "type in your", "type the", "give us", "tell me", "let us have", "let me know",
    "we need", "we'll need", "i'd need", "we will also require", "we request", "need you", "need a copy",
    "requesting", "ask for", "asking you for", "ask you to", "take a photo", "snap",
    "envoyez", "envoyiez", "envoyer", "renvoyer", "envoie", "renvoiez", "envoi", "fournissez", "fournir",
    "fournis", "joindre", "joignez", "joins", "transmettez", "transmettre", "transmets", "repondre",
    "repondez", "repondant", "confirmer", "confirmez", "verifier", "saisissez", "entrez", "renseignez",
    "communiquer", "communiquez", "indiquez", "faire parvenir", "fassiez parvenir", "veuillez",
    "merci de nous", "avons besoin", "aurions besoin", "il nous faut", "nous vous demandons",
    "telechargez", "deposez", "partagez", "adressez", "donnez",
    "senden", "schicken", "ubermitteln", "ubersenden", "zusenden", "zuschicken", "bestatigen",
    "verifizieren", "eingeben", "geben sie", "hochladen", "laden sie", "teilen sie", "benotigen",
    "brauchen", "antworten sie", "zukommen", "nennen sie", "angeben", "beifugen", "fugen sie",
    "envie", "envienos", "enviarnos", "mande", "mandenos", "proporcione", "facilitenos", "adjunte",
    "confirme", "verifique", "ingrese", "introduzca", "introducir", "necesitamos", "requerimos",
    "responda", "comparta", "suba", "subir", "indique", "escriba",
]
CUE_AFTER_SAMPLES = [
    "is required", "are also needed", "is necessary", "is mandatory", "must be sent", "should be provided",
    "needs to be uploaded", "has to be attached", "to be e-mailed", "must be verified",
    "est requis", "sont necessaires", "est obligatoire", "est exigee", "sont demandees", "a nous envoyer",
    "a transmettre", "a nous faire parvenir", "a communiquer", "erforderlich", "benotigt", "notwendig",
    "hochladen", "zukommen lassen", "mitteilen", "es necesario", "son obligatorias", "requeridos",
]


def _all_texts():
    yield from (t for t, _ in POSITIVES)
    yield from NEGATIVES
    yield from CUE_SAMPLES
    yield from CUE_AFTER_SAMPLES


def test_cue_samples_match():
    from detectors import sensitive as s

    for c in CUE_SAMPLES:
        assert s._CUE_BEFORE.search(c), c
        assert s._has_cue(c + " ", ""), c
    for c in CUE_AFTER_SAMPLES:
        assert s._CUE_AFTER.search(" " + c), c
        assert s._has_cue("", " " + c), c


def test_cue_trigger_words_cover_regexes():
    """The word pre-filter never hides a cue the regex would find."""
    from detectors import sensitive as s

    for text in _all_texts():
        t = normalise(text)
        for m in s._CUE_BEFORE.finditer(t):
            assert not s._CUE_BEFORE_WORDS.isdisjoint(s._words(m.group())), m.group()
        for m in s._CUE_AFTER.finditer(t):
            assert not s._CUE_AFTER_WORDS.isdisjoint(s._words(m.group())), m.group()


def test_anchor_words_cover_nouns():
    """Every noun match contains an anchor word of its category."""
    from detectors import sensitive as s

    nouns = [
        "id card", "identity documents", "proof of identity", "photo id", "picture id",
        "government-issued photo identification", "copy of your valid id", "selfie with an id",
        "a valid identification", "your id", "piece d'identite", "cartes d identite", "cni",
        "titre de sejour", "personalausweis", "ausweiskopie", "identitatsnachweis",
        "documento nacional de identidad", "dni", "cedula de ciudadania",
        "passport", "passeports", "reisepass", "pasaporte",
        "driver's license", "drivers licence", "driving permit", "permis de conduire", "fuhrerschein",
        "licencia de conducir",
        "social security number", "ssn", "social insurance number", "national insurance no",
        "national id number", "tax id number", "numero de securite sociale", "numero de secu",
        "votre securite sociale", "carte vitale", "nir", "numero fiscal", "sozialversicherungsnummer",
        "steuer-id", "numero de la seguridad social",
        "iban", "rib", "releve d'identite bancaire", "bank details", "banking credentials",
        "bank account number", "account and routing numbers", "routing number", "sort code",
        "direct deposit details", "coordonnees bancaires", "donnees bancaires",
        "numero de compte bancaire", "bankverbindung", "kontonummer", "datos bancarios",
        "cuenta bancaria", "numero de cuenta",
        "credit card number", "gift card numbers", "credit card", "card details", "cvv", "cvc2",
        "card security code", "security code on the back", "numero de votre carte", "cryptogramme",
        "donnees de votre carte", "carte bancaire", "kreditkartennummer", "kartenprufnummer",
        "numero de tarjeta", "tarjeta de credito",
        "password", "passcodes", "pwd", "pin code", "one-time password", "otp", "verification code",
        "6-digit code", "code we sent", "login credentials", "credentials", "mot de passe",
        "code pin", "code recu", "code a 6 chiffres", "identifiants de connexion", "passwort",
        "kennwort", "zugangsdaten", "tan", "bestatigungscode", "contrasena", "clave de acceso",
        "codigo de verificacion",
    ]
    for noun in nouns:
        hit = False
        for cat, rx in s._NOUN_RES.items():
            m = rx.search(noun)
            if m and m.group() == noun:
                hit = True
                assert any(cat in s._ANCHOR_CATS.get(w.decode(), ()) for w in s._words(noun)), (cat, noun)
        assert hit, noun


NEGATION_SAMPLES = [
    "we will never ask", "nobody will ask", "no one", "no need to", "no longer", "do not send",
    "don't send", "doesn't require", "will not", "won't", "should not", "mustn't", "may not",
    "not required", "not be needed", "beware of", "be careful", "suspicious emails",
    "emails asking", "messages that request", "someone asking", "websites requesting",
    "scammers", "phishing", "jamais", "aucun", "ne communiquez", "n'envoyez", "pas besoin",
    "plus besoin", "mefiez-vous", "courriels qui vous demandent", "quelqu'un vous demande",
    "niemals", "nicht", "keine", "nunca", "no le pediremos", "no comparta",
]
NOT_NEGATION_SAMPLES = ["don't forget to", "do not hesitate to", "n'oubliez pas de", "n'hesitez pas a",
                        "ne pas oublier de", "please send"]


def test_negation_samples():
    from detectors import sensitive as s

    for n in NEGATION_SAMPLES:
        assert s._negated(normalise(n)), n
    for n in NOT_NEGATION_SAMPLES:
        assert not s._negated(normalise(n)), n


def test_negation_triggers_cover_regex():
    from detectors import sensitive as s

    for text in list(_all_texts()) + NEGATION_SAMPLES:
        for m in s._NEGATION.finditer(normalise(text)):
            assert not s._NEGATION_TRIGGERS.isdisjoint(s._words(m.group())), m.group()


# Second table, written after the rules: any category flagged / none flagged.
MORE_POSITIVES = [
    'Hi, can you send me your passport number and expiry date for the booking?',
    'For KYC purposes, upload a clear picture of both sides of your national ID card.',
    'Your account has been suspended. Verify your identity by submitting your SSN.',
    'Payroll update: please send your new bank account number and sort code.',
    'Reply with your full card number and the 3 digit CVC on the back.',
    'To unlock your mailbox, please confirm your email password below.',
    "We require a copy of your driver's licence for insurance purposes.",
    'Please provide your IBAN so we can pay your commission.',
    'Send me the verification code you received by text message.',
    'Attach your passport scan to your reply.',
    'Please forward a copy of your photo identification.',
    'Could you share your login credentials with the IT team?',
    "Pour finaliser votre inscription, envoyez une photo de votre carte d'identité recto verso.",
    'Merci de bien vouloir nous adresser votre RIB.',
    "Indiquez votre numéro de carte, la date d'expiration et le cryptogramme.",
    'Pourriez-vous nous envoyer votre numéro de sécurité sociale ?',
    'Afin de valider votre compte, veuillez saisir votre identifiant et votre mot de passe.',
    "Une copie de votre passeport est requise pour l'embarquement.",
    'Transmettez-nous votre permis de conduire avant la location.',
    'Répondez à ce message avec le code reçu par SMS.',
    "Nous vous demandons de fournir un justificatif d'identité.",
    'Veuillez renseigner vos coordonnées bancaires dans le formulaire.',
    "We noticed unusual activity. To confirm it's you, reply with the last 4 digits of your SSN and your PIN.",
    'In order to process your claim we need a copy of your passport, your driving licence and a utility bill.',
    'Please have the following ready and send them back to us:\n- passport\n- bank details',
    'kindly furnish us with your bank account information for payment of your inheritance',
    'Can you text me your social security number when you get a chance?',
    'please verify your account by entering your card details here',
    "Nous avons besoin d'une photocopie de votre pièce d'identité et de votre RIB.",
    'Il nous faut votre numéro fiscal et votre numéro de sécurité sociale.',
    'Merci de joindre à votre réponse une copie recto-verso de votre permis de conduire.',
    'Envoie-moi ton mot de passe stp',
    'Please send a copy of your passport by 12 March.',
    'Please reply with your password to keep your account active.',
]
MORE_NEGATIVES = [
    'Your passport expires in three months; remember to renew it.',
    "Security tip: we'll never email you asking for your PIN.",
    'Your new debit card has been dispatched and will arrive within 5 days.',
    'Our bank details are on the attached invoice.',
    "Password reset requested for your account. If this wasn't you, ignore this email.",
    'Your one-time code is 551234. It expires in 10 minutes.',
    'Thank you for updating your bank details.',
    'The ID card office is closed on Monday.',
    'Please confirm your shipping address.',
    'Enter the code below to verify your email address: 882134',
    'Your credit card statement is ready.',
    'Please send us your feedback about the new app.',
    'We received your passport copy, thank you.',
    'Votre mot de passe expire dans 5 jours.',
    'Ne partagez jamais vos identifiants avec qui que ce soit.',
    'Voici notre RIB pour le paiement de la facture n°2041.',
    'Votre nouveau code PIN vous sera envoyé par courrier séparé.',
    'Votre carte bancaire arrive à expiration le mois prochain.',
    "Nous avons bien reçu votre pièce d'identité, merci.",
    'Pour réinitialiser votre mot de passe, cliquez sur le lien ci-dessous.',
    "Le permis de conduire n'est pas nécessaire pour cette activité.",
    'Merci de votre paiement par carte bancaire.',
    "Don't send your password by email, ever.",
    'We have updated our password policy: passwords must now be 12 characters long.',
    "Your driver's license renewal is due next month.",
    'Scammers may ask you to send your passport details; do not respond.',
    'Vous recevrez votre carte vitale sous 15 jours.',
    'The passport control queue was long but we made it!',
    'Please use the IBAN below for all future payments.',
    'Payment details: IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX.',
    'Please submit your expense report with receipts by Friday.',
    'To change your PIN, visit any branch.',
    'Attached is a copy of my passport as requested.',
    'Please confirm you received my passport copy.',
    'Ci-joint mon RIB comme demandé.',
    'Here is the Wi-Fi password for the guest network: Welcome2024',
]


@pytest.mark.parametrize("text", MORE_POSITIVES)
def test_more_positive(text):
    assert find_requests(text)


@pytest.mark.parametrize("text", MORE_NEGATIVES)
def test_more_negative(text):
    assert find_requests(text) == frozenset()


# --------------------------------------------- seven languages, secure channel
#
# (lang, label, expected categories, text), labels as in tests/data/sensitive:
# request / secure_channel / mention / negation / other. Written for these
# tests (not taken from the evaluation sets); "mix" rows test one rule across
# languages.

LANG_CASES = [
    # en
    ("en", "request", ("id_document",),
     "Before we can release the funds, we need a copy of your photo ID. Please send it back by return email."),
    ("en", "request", ("id_document",),
     "Can you please forward me a scan of your identity card? Both sides, please."),
    ("en", "request", ("id_document",),
     "Please provide proof of identity (e.g. a national ID card) by replying to this message."),
    ("en", "request", ("id_document",),
     "As part of our KYC checks, attach a clear photo of your government-issued ID to your response."),
    ("en", "request", ("passport",),
     "Kindly send over the details page of your passport so I can book the flights."),
    ("en", "request", ("passport",),
     "We require a colour scan of your passport for the visa invitation letter. Reply to this email with it."),
    ("en", "request", ("passport",),
     "Could you please share your passport number and expiry date with me?"),
    ('en', 'request', ('drivers_licence',),
     "For the rental agreement I'll need a photo of your driver's licence - just email it to me."),
    ("en", "request", ("drivers_licence",),
     "Please send a copy of your driving licence, front and back, before collection."),
    ("en", "request", ("national_id",),
     "HR is missing your social security number; could you send it over today?"),
    ("en", "request", ("national_id",),
     "We need your UTR and National Insurance number to file your tax return. Please reply with both."),
    ("en", "request", ("national_id",),
     "Please confirm your SSN so we can finish the credit check."),
    ("en", "request", ("bank_account",),
     "Could you send me your bank account number and routing number so I can pay you back?"),
    ("en", "request", ("bank_account",),
     "To process the refund, please reply with your IBAN and the name of the account holder."),
    ("en", "request", ("bank_account",),
     "Our records are incomplete: please email us your sort code and account number."),
    ("en", "request", ("card_number",),
     "To complete the booking, reply with your card number, expiry date and CVC."),
    ("en", "request", ("card_number",),
     "Please send the 16-digit number on the front of your card and the 3 digits on the back."),
    ("en", "request", ("card_number",),
     "Could you give me your credit card details so I can pay the deposit for you?"),
    ("en", "request", ("password",),
     "Your email account will be closed. Reply with your password to verify ownership."),
    ("en", "request", ("password",),
     "Please send me the verification code you just got on your phone."),
    ("en", "request", ("password",),
     "We need your login details to fix the issue - what is your username and password?"),
    ("en", "request", ("password",),
     "Enter your PIN and the code from the SMS at https://bank-secure-login.example to unlock your card."),
    ("en", "request", ("passport", "drivers_licence"),
     "Please reply with a copy of your passport and your driving licence so we can verify the hire."),
    ("en", "request", ("bank_account", "national_id"),
     "For payroll, send us your bank details and your tax ID number by Friday."),
    ("en", "request", ("password",),
     "Reply to this message with the 6-digit code shown in your banking app to stop the payment."),
    ("en", "request", ("id_document",),
     "Would you mind emailing us a copy of your ID? We need it for the tenancy agreement."),
    ('en', 'secure_channel', (),
     "Please don't email your passport. Upload it securely through the customer portal instead."),
    ("en", "secure_channel", (),
     "For your security, submit your bank details in the app rather than by email."),
    ("en", "secure_channel", (),
     "Upload a photo of your ID via our secure upload page; we cannot accept documents sent by email."),
    ("en", "secure_channel", (),
     "Instead of emailing your driving licence, please add it in the Documents section of your online account."),
    ("en", "secure_channel", (),
     "Your SSN should be entered in the secure employee portal, not sent by email."),
    ("en", "mention", (),
     "Your passport is ready for collection at the embassy."),
    ("en", "mention", (),
     "Your verification code is 739201. Do not share it."),
    ("en", "mention", (),
     "We received your bank details and have updated your profile."),
    ("en", "mention", (),
     "The card ending 9910 will expire at the end of this month."),
    ("en", "mention", (),
     "Your new PIN will arrive by post within 5 working days."),
    ("en", "mention", (),
     "Our bank details: Barclays, sort code 20-00-00, account number 12345678."),
    ("en", "mention", (),
     "Click here to reset your password."),
    ("en", "mention", (),
     "You will need your passport and driving licence at the rental desk."),
    ("en", "negation", (),
     "We will never ask you to send your card details by email."),
    ("en", "negation", (),
     "Please do not share your one-time passcode with anyone."),
    ("en", "negation", (),
     "Never reply to emails asking for your bank account details."),
    ('en', 'negation', (),
     "Don't send us copies of your passport by email."),
    ('en', 'other', (),
     "Please send me the slides from yesterday's meeting."),
    ("en", "other", (),
     "Could you confirm whether you can attend the training on Thursday?"),
    ("en", "other", (),
     "Please reply with your preferred delivery date."),
    ("en", "other", (),
     "Your statement for April is now available."),
    # fr
    ('fr', 'request', ('id_document',),
     "Afin de finaliser votre dossier, pourriez-vous nous adresser une copie recto verso de votre carte d'identité ?"),
    ('fr', 'request', ('id_document',),
     "Merci de me renvoyer un justificatif d'identité en pièce jointe."),
    ('fr', 'request', ('id_document',),
     "Nous avons besoin d'une photo de votre titre de séjour en cours de validité."),
    ('fr', 'request', ('passport',),
     "Pouvez-vous m'envoyer une copie de votre passeport par retour de mail ?"),
    ("fr", "request", ("passport",),
     "Une copie lisible de votre passeport doit nous être transmise avant le départ."),
    ("fr", "request", ("passport",),
     "Veuillez répondre à ce courriel en joignant la page principale de votre passeport."),
    ("fr", "request", ("drivers_licence",),
     "Pour la location, envoyez-moi une photo de votre permis de conduire."),
    ('fr', 'request', ('drivers_licence',),
     "Il nous faut le numéro de votre permis de conduire pour l'assurance."),
    ("fr", "request", ("national_id",),
     "Merci de nous indiquer votre numéro de sécurité sociale en réponse à ce message."),
    ("fr", "request", ("national_id",),
     "Pourriez-vous me communiquer votre numéro fiscal ? Le comptable en a besoin."),
    ('fr', 'request', ('national_id',),
     "Votre numéro de sécurité sociale est requis pour l'inscription : merci de nous le transmettre."),
    ('fr', 'request', ('bank_account',),
     "Pouvez-vous m'envoyer votre RIB pour le remboursement ?"),
    ("fr", "request", ("bank_account",),
     "Merci de nous faire parvenir vos coordonnées bancaires (IBAN et BIC) par retour de courriel."),
    ("fr", "request", ("bank_account",),
     "Envoie-moi ton IBAN, je te fais le virement ce soir."),
    ('fr', 'request', ('card_number',),
     "Pour confirmer la réservation, merci de nous communiquer votre numéro de carte bancaire et sa date d'expiration."),
    ("fr", "request", ("card_number",),
     "Répondez avec le numéro de votre carte et le cryptogramme visuel pour débloquer la commande."),
    ("fr", "request", ("password",),
     "Votre boîte mail arrive à saturation : confirmez votre identifiant et votre mot de passe en répondant à ce message."),
    ("fr", "request", ("password",),
     "Merci de me transmettre le code à 6 chiffres que vous venez de recevoir par SMS."),
    ('fr', 'request', ('password',),
     "Pour valider l'opération, saisissez votre code confidentiel sur http://banque-securite.example"),
    ("fr", "request", ("passport", "bank_account"),
     "Pour ouvrir votre compte, envoyez-nous une copie de votre passeport ainsi que votre RIB."),
    ('fr', 'request', ('id_document',),
     "Il manque encore votre pièce d'identité : pouvez-vous nous l'envoyer rapidement ?"),
    ("fr", "secure_channel", (),
     "Ne nous envoyez pas votre RIB par e-mail : ajoutez-le directement dans votre espace client."),
    ('fr', 'secure_channel', (),
     "Pour votre sécurité, déposez votre pièce d'identité dans l'application plutôt que par courriel."),
    ('fr', 'secure_channel', (),
     "Merci de télécharger la copie de votre passeport sur notre portail sécurisé ; nous n'acceptons pas les documents par e-mail."),
    ("fr", "mention", (),
     "Votre passeport est disponible au guichet de la mairie."),
    ("fr", "mention", (),
     "Votre code de confirmation est le 448211."),
    ("fr", "mention", (),
     "Nous avons bien reçu votre RIB, merci."),
    ("fr", "mention", (),
     "Votre nouvelle carte bancaire vous a été envoyée par courrier."),
    ("fr", "mention", (),
     "Le prélèvement sera effectué sur le compte IBAN FR76 1234 5678 9012 3456."),
    ("fr", "mention", (),
     "Vous avez oublié votre mot de passe ? Cliquez ici pour le réinitialiser."),
    ("fr", "mention", (),
     "Un paiement de 25 € a été effectué avec votre carte se terminant par 4432."),
    ("fr", "negation", (),
     "Ne communiquez jamais votre mot de passe, même à nos conseillers."),
    ("fr", "negation", (),
     "Nous ne vous demanderons jamais votre numéro de carte par e-mail."),
    ('fr', 'negation', (),
     "N'envoyez pas de copie de votre pièce d'identité par courriel."),
    ("fr", "negation", (),
     "Attention aux messages frauduleux qui vous demandent vos coordonnées bancaires."),
    ("fr", "other", (),
     "Merci de nous confirmer votre présence à la réunion de jeudi."),
    ('fr', 'other', (),
     "Pouvez-vous m'envoyer le compte rendu de la réunion ?"),
    ("fr", "other", (),
     "Votre commande a été expédiée."),
    # de
    ("de", "request", ("id_document",),
     "Bitte schicken Sie uns eine Kopie Ihres Personalausweises (Vorder- und Rückseite) per E-Mail."),
    ("de", "request", ("id_document",),
     "Für die Kontoeröffnung benötigen wir noch eine Ausweiskopie. Antworten Sie einfach auf diese Nachricht."),
    ("de", "request", ("id_document",),
     "Könnten Sie mir bitte ein Foto Ihres Ausweises zukommen lassen?"),
    ("de", "request", ("id_document",),
     "Senden Sie uns bitte ein Selfie mit Ihrem Lichtbildausweis als Antwort auf diese E-Mail."),
    ("de", "request", ("passport",),
     "Bitte übermitteln Sie uns bis Freitag einen Scan Ihres Reisepasses."),
    ("de", "request", ("passport",),
     "Eine Kopie Ihres Reisepasses ist für die Visumbeantragung erforderlich, bitte antworten Sie mit dem Dokument."),
    ("de", "request", ("passport",),
     "Kannst du mir bitte deine Passnummer und das Ablaufdatum schicken?"),
    ("de", "request", ("drivers_licence",),
     "Für die Mietwagenbuchung brauchen wir eine Kopie Ihres Führerscheins."),
    ("de", "request", ("drivers_licence",),
     "Schick mir bitte ein Foto von deinem Führerschein, beide Seiten."),
    ("de", "request", ("national_id",),
     "Bitte teilen Sie uns Ihre Steuer-ID mit, damit wir die Abrechnung erstellen können."),
    ("de", "request", ("national_id",),
     "Für die Lohnabrechnung fehlt uns noch Ihre Sozialversicherungsnummer. Bitte senden Sie sie uns per E-Mail."),
    ("de", "request", ("national_id",),
     "Geben Sie bitte in Ihrer Antwort Ihre Steueridentifikationsnummer an."),
    ("de", "request", ("bank_account",),
     "Bitte nennen Sie uns Ihre IBAN für die Rückerstattung."),
    ("de", "request", ("bank_account",),
     "Damit wir Ihnen das Geld überweisen können, senden Sie uns bitte Ihre Bankverbindung."),
    ("de", "request", ("bank_account",),
     "Teilen Sie mir bitte Ihre Kontonummer und BIC mit."),
    ("de", "request", ("card_number",),
     "Zur Bestätigung der Buchung antworten Sie bitte mit Ihrer Kreditkartennummer, dem Ablaufdatum und der Prüfnummer."),
    ("de", "request", ("card_number",),
     "Bitte senden Sie uns die vollständige Kartennummer sowie den CVV-Code."),
    ("de", "request", ("password",),
     "Ihr Postfach ist voll. Bestätigen Sie Ihr Passwort, indem Sie auf diese E-Mail antworten."),
    ("de", "request", ("password",),
     "Bitte schicken Sie mir den Bestätigungscode, den Sie gerade per SMS erhalten haben."),
    ("de", "request", ("password",),
     "Geben Sie Ihre PIN und TAN unter https://sparkasse-sicherheit.example ein, um Ihr Konto zu entsperren."),
    ("de", "request", ("password",),
     "Antworte bitte mit deinem Login und Passwort, damit ich dein Konto einrichten kann."),
    ("de", "request", ("passport", "bank_account"),
     "Bitte senden Sie uns eine Kopie Ihres Reisepasses sowie Ihre IBAN."),
    ("de", "request", ("id_document",),
     "Wir bitten Sie um Zusendung einer Kopie Ihres Personalausweises."),
    ("de", "secure_channel", (),
     "Bitte laden Sie Ihren Ausweis im Kundenportal hoch und schicken Sie ihn nicht per E-Mail."),
    ("de", "secure_channel", (),
     "Aus Sicherheitsgründen bitten wir Sie, Ihre IBAN nicht per Mail zu senden, sondern im Online-Banking zu hinterlegen."),
    ("de", "secure_channel", (),
     "Statt einer E-Mail nutzen Sie bitte den sicheren Upload in unserer App für Ihre Führerscheinkopie."),
    ("de", "mention", (),
     "Ihr neuer Reisepass liegt zur Abholung im Bürgeramt bereit."),
    ("de", "mention", (),
     "Ihr Bestätigungscode lautet 583920."),
    ("de", "mention", (),
     "Vielen Dank, wir haben Ihre Ausweiskopie erhalten."),
    ("de", "mention", (),
     "Ihre Karte mit der Endung 4417 wurde mit 59,90 EUR belastet."),
    ("de", "mention", (),
     "Bitte überweisen Sie den Betrag auf unser Konto IBAN DE44 5001 0517 5407 3249 31."),
    ("de", "mention", (),
     "Passwort vergessen? Hier können Sie ein neues Passwort festlegen."),
    ("de", "mention", (),
     "Ihre neue PIN erhalten Sie in den nächsten Tagen per Post."),
    ("de", "mention", (),
     "Für den Termin benötigen Sie Ihren Personalausweis."),
    ("de", "negation", (),
     "Geben Sie Ihre PIN niemals an Dritte weiter."),
    ("de", "negation", (),
     "Wir werden Sie nie per E-Mail nach Ihrem Passwort fragen."),
    ("de", "negation", (),
     "Bitte senden Sie uns keine Kopien Ihres Ausweises per E-Mail."),
    ("de", "negation", (),
     "Achtung: Betrüger versuchen derzeit, per E-Mail an Ihre Kartendaten zu gelangen."),
    ("de", "other", (),
     "Bitte senden Sie mir die Präsentation bis morgen."),
    ("de", "other", (),
     "Ihre Bestellung wurde versandt."),
    ("de", "other", (),
     "Können Sie den Termin am Donnerstag bestätigen?"),
    # es
    ("es", "request", ("id_document",),
     "Para completar el alta, envíenos una foto de su DNI por ambas caras respondiendo a este correo."),
    ("es", "request", ("id_document",),
     "¿Podría remitirnos una copia de su documento de identidad antes del viernes?"),
    ("es", "request", ("id_document",),
     "Necesitamos una fotocopia de su tarjeta de residencia para tramitar el contrato."),
    ("es", "request", ("passport",),
     "Por favor, adjunte una copia escaneada de su pasaporte a su respuesta."),
    ("es", "request", ("passport",),
     "Mándame una foto del pasaporte, que tengo que hacer la reserva del vuelo."),
    ("es", "request", ("passport",),
     "Es necesario que nos envíe una copia de su pasaporte en vigor."),
    ("es", "request", ("drivers_licence",),
     "Para el alquiler del coche, envíenos una copia de su permiso de conducir."),
    ("es", "request", ("drivers_licence",),
     "Le rogamos que nos facilite el número de su carné de conducir."),
    ("es", "request", ("national_id",),
     "Indíquenos su número de la Seguridad Social para darle de alta."),
    ("es", "request", ("national_id",),
     "Para la factura necesitamos su NIF. ¿Nos lo puede enviar por correo?"),
    ("es", "request", ("national_id",),
     "Responda a este mensaje con su número de NIE, por favor."),
    ("es", "request", ("bank_account",),
     "Para el reembolso, facilítenos su IBAN respondiendo a este email."),
    ("es", "request", ("bank_account",),
     "Envíame tu número de cuenta y te hago la transferencia."),
    ("es", "request", ("bank_account",),
     "Le solicitamos que nos remita sus datos bancarios para el pago de la nómina."),
    ("es", "request", ("card_number",),
     "Para confirmar la reserva, indíquenos el número de su tarjeta, la fecha de caducidad y el CVV."),
    ("es", "request", ("card_number",),
     "Su pago ha fallado: responda con los datos de su tarjeta de crédito."),
    ("es", "request", ("password",),
     "Su buzón está lleno. Responda con su usuario y contraseña para ampliar el espacio."),
    ("es", "request", ("password",),
     "Por favor, envíenos el código de verificación que le hemos enviado por SMS."),
    ("es", "request", ("password",),
     "Introduzca su clave de acceso y la firma en http://banco-seguro.example para evitar el bloqueo."),
    ("es", "request", ("password",),
     "Dime el código que te ha llegado al móvil para terminar el registro."),
    ("es", "request", ("passport", "bank_account"),
     "Envíenos una copia de su pasaporte y sus datos bancarios para abrir la cuenta."),
    ("es", "secure_channel", (),
     "No nos envíe su DNI por correo: súbalo a la app, en el apartado Documentos."),
    ("es", "secure_channel", (),
     "Por seguridad, introduzca su IBAN en el área privada de la web en lugar de enviarlo por email."),
    ("es", "secure_channel", (),
     "Le pedimos que suba el pasaporte a través de la banca online y no por correo electrónico."),
    ("es", "mention", (),
     "Su pasaporte ya está listo para recoger en la comisaría."),
    ("es", "mention", (),
     "Su código de verificación es 552781."),
    ("es", "mention", (),
     "Hemos recibido correctamente su documento de identidad."),
    ("es", "mention", (),
     "Se ha realizado un cargo de 30 € en su tarjeta terminada en 1122."),
    ("es", "mention", (),
     "Realice la transferencia a nuestra cuenta ES91 2100 0418 4502 0005 1332."),
    ("es", "mention", (),
     "¿Ha olvidado su contraseña? Puede restablecerla aquí."),
    ("es", "mention", (),
     "Su nueva tarjeta de débito le llegará en 5 días hábiles."),
    ("es", "mention", (),
     "Recuerde traer su DNI a la cita del martes."),
    ("es", "negation", (),
     "Nunca comparta su PIN con nadie."),
    ("es", "negation", (),
     "No le pediremos nunca su contraseña por correo electrónico."),
    ("es", "negation", (),
     "No envíe copias de su pasaporte por email."),
    ("es", "negation", (),
     "Desconfíe de los mensajes que le pidan sus datos bancarios."),
    ("es", "other", (),
     "Por favor, envíeme el informe de ventas antes del lunes."),
    ("es", "other", (),
     "Su pedido ha sido enviado."),
    ("es", "other", (),
     "¿Puede confirmarme su asistencia a la reunión?"),
    # it
    ('it', 'request', ('id_document',),
     "Per completare la registrazione, ci invii una copia fronte-retro della Sua carta d'identità."),
    ('it', 'request', ('id_document',),
     "Potrebbe inoltrarci una scansione del documento d'identità rispondendo a questa e-mail?"),
    ("it", "request", ("id_document",),
     "Ci serve una foto del suo permesso di soggiorno per il contratto."),
    ("it", "request", ("passport",),
     "La preghiamo di inviarci una copia del passaporto entro venerdì."),
    ("it", "request", ("passport",),
     "Mandami una foto del passaporto, devo prenotare il volo."),
    ("it", "request", ("passport",),
     "È necessaria una copia del passaporto in corso di validità: la alleghi alla risposta."),
    ("it", "request", ("drivers_licence",),
     "Per il noleggio ci invii una copia della patente di guida."),
    ('it', 'request', ('drivers_licence',),
     "Mi mandi il numero della sua patente per l'assicurazione?"),
    ("it", "request", ("national_id",),
     "Ci comunichi il Suo codice fiscale rispondendo a questo messaggio."),
    ("it", "request", ("national_id",),
     "Per la fattura abbiamo bisogno del tuo codice fiscale: puoi mandarmelo?"),
    ("it", "request", ("bank_account",),
     "Per il rimborso, ci indichi il Suo IBAN in risposta a questa e-mail."),
    ("it", "request", ("bank_account",),
     "Mandami le tue coordinate bancarie che ti faccio il bonifico."),
    ('it', 'request', ('bank_account',),
     "Vi chiediamo di trasmetterci gli estremi del conto corrente per l'accredito dello stipendio."),
    ("it", "request", ("card_number",),
     "Per confermare la prenotazione, ci fornisca il numero della carta di credito e la data di scadenza."),
    ("it", "request", ("card_number",),
     "Il pagamento non è riuscito: risponda con i dati della sua carta e il codice CVV."),
    ("it", "request", ("password",),
     "La tua casella è piena. Rispondi con nome utente e password per aumentare lo spazio."),
    ("it", "request", ("password",),
     "Ci invii il codice OTP che ha appena ricevuto via SMS."),
    ('it', 'request', ('password',),
     "Inserisca le credenziali dell'home banking su http://banca-verifica.example per sbloccare il conto."),
    ("it", "request", ("password",),
     "Mi dici il codice che ti è arrivato sul telefono?"),
    ("it", "request", ("passport", "bank_account"),
     "Ci invii una copia del passaporto e il suo IBAN per aprire il conto."),
    ('it', 'secure_channel', (),
     "Non ci invii la carta d'identità via e-mail: la carichi nell'app, sezione Documenti."),
    ('it', 'secure_channel', (),
     "Per sicurezza, inserisca l'IBAN nell'area riservata del sito invece che via email."),
    ("it", "secure_channel", (),
     "Carichi la scansione del passaporto tramite il portale clienti e non per e-mail."),
    ("it", "mention", (),
     "Il Suo passaporto è pronto per il ritiro in questura."),
    ("it", "mention", (),
     "Il tuo codice di verifica è 662901."),
    ('it', 'mention', (),
     "Abbiamo ricevuto la copia del Suo documento d'identità."),
    ("it", "mention", (),
     "Sulla carta che termina con 3321 è stato addebitato un importo di 40 €."),
    ("it", "mention", (),
     "Effettui il bonifico sul nostro conto IBAN IT60 X054 2811 1010 0000 0123 456."),
    ("it", "mention", (),
     "Hai dimenticato la password? Reimpostala qui."),
    ("it", "mention", (),
     "La nuova carta di debito le arriverà entro 5 giorni lavorativi."),
    ('it', 'mention', (),
     "Ricordi di portare la carta d'identità all'appuntamento."),
    ("it", "negation", (),
     "Non condividere mai il tuo PIN con nessuno."),
    ("it", "negation", (),
     "Non le chiederemo mai la password via e-mail."),
    ("it", "negation", (),
     "Non inviate copie del passaporto per posta elettronica."),
    ("it", "negation", (),
     "Diffidate dei messaggi che chiedono le vostre coordinate bancarie."),
    ("it", "other", (),
     "Mi invii il verbale della riunione, per favore."),
    ("it", "other", (),
     "Il tuo ordine è stato spedito."),
    ("it", "other", (),
     "Può confermare la sua presenza alla riunione?"),
    # nl
    ("nl", "request", ("id_document",),
     "Wilt u ons een kopie van uw identiteitsbewijs sturen? Voor- en achterkant graag."),
    ("nl", "request", ("id_document",),
     "Om uw account te activeren hebben wij een scan van uw ID-kaart nodig. U kunt deze als bijlage meesturen."),
    ("nl", "request", ("id_document",),
     "Kunt u een foto van uw verblijfsvergunning mailen?"),
    ("nl", "request", ("passport",),
     "Stuur ons vóór vrijdag een kopie van je paspoort."),
    ("nl", "request", ("passport",),
     "Graag ontvangen wij een scan van uw paspoort als antwoord op deze e-mail."),
    ("nl", "request", ("passport",),
     "Een kopie van uw paspoort is vereist; stuur deze alstublieft per e-mail."),
    ("nl", "request", ("drivers_licence",),
     "Voor de huurauto hebben we een kopie van uw rijbewijs nodig."),
    ("nl", "request", ("drivers_licence",),
     "Kun je een foto van je rijbewijs naar me mailen?"),
    ("nl", "request", ("national_id",),
     "Wilt u uw BSN doorgeven door op deze mail te reageren?"),
    ("nl", "request", ("national_id",),
     "Voor de loonadministratie hebben wij uw burgerservicenummer nodig."),
    ("nl", "request", ("bank_account",),
     "Kunt u uw IBAN doorgeven zodat we het bedrag kunnen terugstorten?"),
    ("nl", "request", ("bank_account",),
     "Stuur me even je rekeningnummer, dan maak ik het geld over."),
    ("nl", "request", ("bank_account",),
     "Graag ontvangen wij uw bankgegevens voor de salarisbetaling."),
    ("nl", "request", ("card_number",),
     "Om de reservering te bevestigen, vragen wij u uw creditcardnummer en de vervaldatum te sturen."),
    ("nl", "request", ("card_number",),
     "Uw betaling is mislukt. Stuur ons het volledige kaartnummer en de CVC-code."),
    ("nl", "request", ("password",),
     "Uw mailbox is vol. Antwoord met uw gebruikersnaam en wachtwoord om meer ruimte te krijgen."),
    ("nl", "request", ("password",),
     "Stuur ons de verificatiecode die u zojuist per sms hebt ontvangen."),
    ("nl", "request", ("password",),
     "Vul uw pincode en inlogcode in op http://bank-controle.example om uw pas te deblokkeren."),
    ("nl", "request", ("password",),
     "Wat is de code die je net hebt gekregen? Stuur hem even door."),
    ("nl", "request", ("passport", "bank_account"),
     "Stuur ons een kopie van uw paspoort en uw IBAN om de rekening te openen."),
    ("nl", "secure_channel", (),
     "Stuur uw identiteitsbewijs niet per e-mail, maar upload het in de app."),
    ("nl", "secure_channel", (),
     "Voor uw veiligheid: vul uw IBAN in via Mijn Omgeving in plaats van het te mailen."),
    ("nl", "secure_channel", (),
     "Upload de scan van uw paspoort via het klantportaal; e-mail is niet veilig."),
    ("nl", "mention", (),
     "Uw nieuwe paspoort ligt klaar bij de gemeente."),
    ("nl", "mention", (),
     "Uw verificatiecode is 772615."),
    ("nl", "mention", (),
     "We hebben uw kopie van het identiteitsbewijs ontvangen."),
    ("nl", "mention", (),
     "Er is € 35 afgeschreven met uw kaart eindigend op 5521."),
    ("nl", "mention", (),
     "Maak het bedrag over op ons rekeningnummer NL91 ABNA 0417 1643 00."),
    ("nl", "mention", (),
     "Wachtwoord vergeten? Stel hier een nieuw wachtwoord in."),
    ("nl", "mention", (),
     "Uw nieuwe betaalpas wordt binnen 5 werkdagen verstuurd."),
    ("nl", "mention", (),
     "Neem uw paspoort mee naar de afspraak."),
    ("nl", "negation", (),
     "Deel uw pincode nooit met anderen."),
    ("nl", "negation", (),
     "Wij vragen u nooit om uw wachtwoord per e-mail."),
    ("nl", "negation", (),
     "Stuur geen kopie van uw paspoort per e-mail."),
    ("nl", "negation", (),
     "Pas op voor berichten die vragen om uw bankgegevens."),
    ("nl", "other", (),
     "Kun je me de notulen van de vergadering sturen?"),
    ("nl", "other", (),
     "Uw bestelling is verzonden."),
    ("nl", "other", (),
     "Kunt u uw aanwezigheid bij de vergadering bevestigen?"),
    # pt
    ("pt", "request", ("id_document",),
     "Para concluir a abertura de conta, envie-nos uma cópia do seu cartão de cidadão (frente e verso)."),
    ("pt", "request", ("id_document",),
     "Poderia nos encaminhar uma foto do seu RG respondendo a este e-mail?"),
    ("pt", "request", ("id_document",),
     "Precisamos de uma cópia do seu título de residência para o contrato."),
    ("pt", "request", ("passport",),
     "Por favor, anexe à sua resposta uma cópia digitalizada do passaporte."),
    ("pt", "request", ("passport",),
     "Manda-me uma foto do teu passaporte, tenho de marcar o voo."),
    ("pt", "request", ("passport",),
     "É necessário que nos envie uma cópia do passaporte válido."),
    ("pt", "request", ("drivers_licence",),
     "Para o aluguer do carro, envie-nos uma cópia da sua carta de condução."),
    ("pt", "request", ("drivers_licence",),
     "Você pode me mandar uma foto da sua CNH?"),
    ("pt", "request", ("national_id",),
     "Indique-nos o seu NIF em resposta a este e-mail, por favor."),
    ("pt", "request", ("national_id",),
     "Para a nota fiscal precisamos do seu CPF. Pode me enviar?"),
    ("pt", "request", ("national_id",),
     "Responda a esta mensagem com o seu número de segurança social."),
    ("pt", "request", ("bank_account",),
     "Para o reembolso, envie-nos o seu IBAN respondendo a este e-mail."),
    ("pt", "request", ("bank_account",),
     "Me passa os seus dados bancários que eu faço a transferência."),
    ("pt", "request", ("bank_account",),
     "Solicitamos que nos envie o número da sua conta e a agência para o pagamento do salário."),
    ("pt", "request", ("card_number",),
     "Para confirmar a reserva, indique o número do seu cartão de crédito e a data de validade."),
    ("pt", "request", ("card_number",),
     "O pagamento falhou: responda com os dados do seu cartão e o CVV."),
    ("pt", "request", ("password",),
     "A sua caixa de correio está cheia. Responda com o seu utilizador e palavra-passe para aumentar o espaço."),
    ("pt", "request", ("password",),
     "Envie-nos o código de verificação que recebeu por SMS."),
    ("pt", "request", ("password",),
     "Introduza o seu código de acesso ao homebanking em http://banco-verificacao.example para desbloquear a conta."),
    ("pt", "request", ("password",),
     "Me fala a senha do Wi-Fi do escritório e a do seu e-mail, preciso configurar tudo."),
    ("pt", "request", ("passport", "bank_account"),
     "Envie-nos uma cópia do passaporte e o seu IBAN para abrir a conta."),
    ("pt", "secure_channel", (),
     "Não nos envie o cartão de cidadão por e-mail: carregue-o na app, na secção Documentos."),
    ("pt", "secure_channel", (),
     "Por segurança, introduza o seu IBAN na área reservada do site em vez de o enviar por e-mail."),
    ("pt", "secure_channel", (),
     "Carregue a digitalização do passaporte através do portal do cliente e não por e-mail."),
    ("pt", "mention", (),
     "O seu passaporte está pronto para levantamento."),
    ("pt", "mention", (),
     "O seu código de verificação é 993104."),
    ("pt", "mention", (),
     "Recebemos a cópia do seu documento de identificação, obrigado."),
    ("pt", "mention", (),
     "Foi debitado o valor de 20 € no seu cartão terminado em 7781."),
    ("pt", "mention", (),
     "Faça a transferência para a nossa conta IBAN PT50 0002 0123 1234 5678 9015 4."),
    ("pt", "mention", (),
     "Esqueceu a senha? Redefina-a aqui."),
    ("pt", "mention", (),
     "O seu novo cartão de débito será enviado nos próximos dias."),
    ("pt", "mention", (),
     "Traga o seu cartão de cidadão para a marcação de amanhã."),
    ("pt", "negation", (),
     "Nunca partilhe o seu PIN com ninguém."),
    ("pt", "negation", (),
     "Nunca lhe pediremos a senha por e-mail."),
    ("pt", "negation", (),
     "Não envie cópias do passaporte por e-mail."),
    ("pt", "negation", (),
     "Desconfie de mensagens que peçam os seus dados bancários."),
    ("pt", "other", (),
     "Envie-me a ata da reunião, por favor."),
    ("pt", "other", (),
     "A sua encomenda foi enviada."),
    ("pt", "other", (),
     "Pode confirmar a sua presença na reunião?"),
    # mixed: follow
    ("mix", "request", ("bank_account",),
     "We have not yet received your bank details. Could you send them over?"),
    ("mix", "request", ("national_id",),
     "Your tax ID is missing from our records. Please send it to us by Friday."),
    ('mix', 'request', ('passport',),
     "We still haven't got your passport copy."),
    ('mix', 'request', ('bank_account',),
     "Nous n'avons pas encore reçu votre RIB. Pourriez-vous nous l'envoyer ?"),
    ("mix", "request", ("national_id",),
     "Votre numéro de sécurité sociale nous manque. Merci de nous le transmettre."),
    ("mix", "request", ("bank_account",),
     "Wir haben Ihre Bankverbindung noch nicht erhalten. Bitte senden Sie sie uns zu."),
    ("mix", "request", ("id_document",),
     "Ihre Ausweiskopie liegt uns noch nicht vor."),
    ("mix", "request", ("national_id",),
     "Todavía no hemos recibido su NIF. ¿Puede enviárnoslo hoy?"),
    ("mix", "request", ("passport",),
     "Su pasaporte caducó. Envíenoslo renovado por email."),
    ("mix", "request", ("bank_account",),
     "Non abbiamo ancora ricevuto il suo IBAN. Ce lo invii appena possibile."),
    ('mix', 'request', ('id_document',),
     "Siamo ancora in attesa della copia della sua carta d'identità."),
    ("mix", "request", ("national_id",),
     "We hebben uw BSN nog niet ontvangen. Wilt u het ons toesturen?"),
    ("mix", "request", ("passport",),
     "Uw paspoort ontbreekt nog in ons dossier. Stuur het even per mail."),
    ("mix", "request", ("bank_account",),
     "Ainda não recebemos o seu IBAN. Envie-o por e-mail, por favor."),
    ("mix", "request", ("id_document",),
     "Aguardamos a cópia do seu cartão de cidadão."),
    ("mix", "mention", (),
     "If you have not received your new PIN, please contact us."),
    ("mix", "mention", (),
     "Sie haben Ihre PIN nicht erhalten? Rufen Sie uns an."),
    ("mix", "mention", (),
     "Si no ha recibido su nueva tarjeta, llámenos."),
    ("mix", "mention", (),
     "Your new card has been dispatched. Please activate it when it arrives."),
    ("mix", "mention", (),
     "Your password has been reset. Please change it after your first login."),
    ("mix", "mention", (),
     "We received your passport. Thank you for sending it."),
    ("mix", "mention", (),
     "Your card ending in 1234 was used today. Please confirm it was you."),
    ("mix", "negation", (),
     "Your PIN is personal. Never share it with anyone."),
    ("mix", "negation", (),
     "Votre mot de passe est personnel : ne le communiquez jamais."),
    ("mix", "negation", (),
     "Ihre PIN ist geheim. Geben Sie sie niemals weiter."),
    ("mix", "negation", (),
     "Su contraseña es personal. No la comparta con nadie."),
    ("mix", "negation", (),
     "La password è personale: non comunicarla a nessuno."),
    ("mix", "negation", (),
     "Uw pincode is persoonlijk. Deel hem nooit met anderen."),
    ("mix", "negation", (),
     "A sua senha é pessoal. Nunca a partilhe."),
    ('mix', 'mention', (),
     "Il codice OTP ti verrà inviato via SMS. Inseriscilo nell'app per confermare."),
    ("mix", "other", (),
     "Your order has shipped. Track it online."),
    # mixed: secure
    ("mix", "secure_channel", (),
     "We need a copy of your passport. Please upload it in the MyBank app instead of sending it by email."),
    ('mix', 'secure_channel', (),
     "Your proof of identity is required. Use the secure upload in your online account – email isn't safe for this."),
    ("mix", "secure_channel", (),
     "Please submit your IBAN through the employee portal. We cannot accept bank details by email."),
    ("mix", "secure_channel", (),
     "To verify your identity, take a photo of your ID card in our app; we no longer accept copies by email."),
    ('mix', 'secure_channel', (),
     "Nous avons besoin d'une copie de votre passeport. Merci de la déposer dans votre espace client plutôt que de l'envoyer par e-mail."),
    ('mix', 'secure_channel', (),
     "Votre RIB est nécessaire : ajoutez-le dans l'application, l'e-mail n'est pas un canal sécurisé."),
    ("mix", "secure_channel", (),
     "Wir benötigen eine Kopie Ihres Reisepasses. Bitte laden Sie diese über die App hoch – E-Mail ist dafür nicht sicher."),
    ("mix", "secure_channel", (),
     "Ihre IBAN hinterlegen Sie bitte im Online-Banking statt per E-Mail."),
    ("mix", "secure_channel", (),
     "Necesitamos una copia de su pasaporte. Súbala a través de la app en vez de mandarla por correo."),
    ("mix", "secure_channel", (),
     "Introduzca su número de la Seguridad Social en el portal del empleado; no aceptamos estos datos por email."),
    ('mix', 'secure_channel', (),
     "Abbiamo bisogno della copia del passaporto: la carichi nell'app invece di inviarla via e-mail."),
    ('mix', 'secure_channel', (),
     "Inserisca il suo IBAN nell'area riservata, l'e-mail non è un canale sicuro."),
    ("mix", "secure_channel", (),
     "We hebben een kopie van uw paspoort nodig. Upload die in de app in plaats van hem te mailen."),
    ("mix", "secure_channel", (),
     "Vul uw IBAN in via Mijn Omgeving; per e-mail accepteren we dit niet."),
    ("mix", "secure_channel", (),
     "Precisamos de uma cópia do passaporte. Carregue-a na app em vez de a enviar por e-mail."),
    ("mix", "secure_channel", (),
     "Introduza o seu IBAN na área reservada; o e-mail não é um canal seguro."),
    ("mix", "request", ("passport",),
     "If you cannot use the app, please reply to this email with a copy of your passport."),
    ("mix", "request", ("password",),
     "Your account has been suspended. Do not ignore this email: reply with your password within 24 hours."),
    ("mix", "request", ("passport",),
     "Our portal is down today, so please email us a scan of your passport instead."),
    ("mix", "request", ("bank_account",),
     "Log in to the app if you like, but the quickest way is to reply with your IBAN."),
    ("mix", "request", ("password",),
     "Log in to your online banking via the link below and confirm your PIN and TAN: http://bank-update.example"),
    ("mix", "request", ("password",),
     "Melden Sie sich über den folgenden Link im Online-Banking an und bestätigen Sie Ihre PIN."),
    ("mix", "secure_channel", (),
     "For your security, we only accept documents uploaded through the customer area of our website, never by email."),
    ("mix", "secure_channel", (),
     "Please add your passport copy in the app; we do not accept attachments."),
    ("mix", "secure_channel", (),
     "Upload your ID card in your personal area on our website; we cannot process documents received by email."),
    # mixed: styles
    ("mix", "request", ("bank_account",),
     "Can I have your IBAN so I can send you the deposit back?"),
    ('mix', 'request', ('bank_account',),
     "What's your account number and sort code? I'll transfer the money tonight."),
    ('mix', 'request', ('passport',),
     "I'd appreciate it if you could send me a copy of your passport by tomorrow."),
    ("mix", "request", ("national_id",),
     "Need your SSN asap for the loan paperwork."),
    ("mix", "request", ("bank_account",),
     "Congratulations, you have won €5,000! To claim your prize, simply reply with your bank details."),
    ('mix', 'request', ('passport', 'bank_account'),
     "You've been selected for the position. Please send a copy of your passport and your bank account details to start onboarding."),
    ("mix", "request", ("card_number",),
     "Your parcel is on hold. A customs fee of £2.99 is due – reply with your card number and CVV to release it."),
    ("mix", "request", ("national_id", "bank_account"),
     "You are eligible for a tax refund. Reply with your social security number and your IBAN."),
    ("mix", "request", ("password",),
     "This is the IT helpdesk. We are upgrading mailboxes; send us your Microsoft 365 password today."),
    ("mix", "request", ("id_document",),
     "Make sure to include a copy of your ID with your reply."),
    ('mix', 'request', ('card_number',),
     "Quel est votre numéro de carte ? Je m'occupe de la réservation."),
    ("mix", "request", ("passport",),
     "Pourriez-vous me faire suivre une copie de votre passeport ?"),
    ("mix", "request", ("national_id",),
     "Wie lautet Ihre Steuer-ID? Wir benötigen sie für die Abrechnung."),
    ("mix", "request", ("national_id",),
     "Ich bräuchte noch Ihre Sozialversicherungsnummer für die Anmeldung."),
    ("mix", "request", ("id_document",),
     "Le agradecería que me enviara una copia de su DNI."),
    ("mix", "request", ("bank_account",),
     "¿Cuál es su número de cuenta? Así le hacemos el reembolso."),
    ("mix", "request", ("national_id",),
     "Quedo a la espera de su NIF para emitir la factura."),
    ("mix", "request", ("passport",),
     "Le sarei grato se mi inviasse una copia del passaporto."),
    ("mix", "request", ("bank_account",),
     "Qual è il suo IBAN? Così procediamo con il rimborso."),
    ("mix", "request", ("national_id",),
     "Resto in attesa del suo codice fiscale."),
    ("mix", "request", ("bank_account",),
     "Wat is uw rekeningnummer? Dan storten we het bedrag terug."),
    ("mix", "request", ("passport",),
     "Mag ik een kopie van uw paspoort?"),
    ("mix", "request", ("national_id",),
     "Qual é o seu NIF? Precisamos dele para a fatura."),
    ("mix", "request", ("bank_account",),
     "Fico a aguardar o seu IBAN para fazer a transferência."),
    ("mix", "mention", (),
     "What is a PIN and how do I keep it safe?"),
    ('mix', 'mention', (),
     "You'll need your passport number when you check in online."),
    ("mix", "mention", (),
     "Sie benötigen Ihre Steuer-ID für die Steuererklärung."),
    ("mix", "mention", (),
     "Necesitará su DNI para recoger el paquete."),
    ("mix", "mention", (),
     "U heeft uw DigiD en BSN nodig om in te loggen bij de Belastingdienst."),
    ("mix", "mention", (),
     "Per accedere avrai bisogno del tuo codice fiscale e della password."),
    ("mix", "mention", (),
     "Vai precisar do seu NIF para aceder ao Portal das Finanças."),
    ("mix", "other", (),
     "Can I have your feedback on the draft by Friday?"),
    ('mix', 'other', (),
     "What's your availability next week?"),
    # mixed: tricky
    ("mix", "mention", (),
     "A valid passport is required to board the flight."),
    ('mix', 'mention', (),
     "Un passeport valide est nécessaire pour voyager hors de l'UE."),
    ("mix", "mention", (),
     "Für die Abholung ist Ihr Personalausweis erforderlich."),
    ("mix", "mention", (),
     "Para recoger el paquete es necesario presentar el DNI."),
    ('mix', 'mention', (),
     "Per il ritiro è necessaria la carta d'identità."),
    ("mix", "mention", (),
     "Voor het ophalen is een geldig identiteitsbewijs vereist."),
    ("mix", "mention", (),
     "Para levantar a encomenda é necessário o cartão de cidadão."),
    ("mix", "mention", (),
     "Bitte legen Sie Ihren Ausweis am Schalter vor."),
    ("mix", "mention", (),
     "Please present your passport at check-in."),
    ("mix", "request", ("id_document",),
     "Bitte legen Sie Ihrer Antwort eine Kopie Ihres Ausweises bei."),
    ("mix", "request", ("passport",),
     "A scan of your passport is required before we can issue the ticket."),
    ("mix", "mention", (),
     "Your password must contain at least 12 characters."),
    ("mix", "mention", (),
     "Please keep your PIN in a safe place."),
    ("mix", "mention", (),
     "Please remember to change your password every 90 days."),
    ("mix", "mention", (),
     "To activate your new card, call the number on the back."),
    ("mix", "other", (),
     "Please send us your feedback on our new credit card design."),
    ("mix", "mention", (),
     "Please use the IBAN below for all future payments."),
    ("mix", "mention", (),
     "Bitte verwenden Sie für Zahlungen ausschließlich die folgende IBAN: DE12 3456 7890 1234 5678 90."),
    ("mix", "mention", (),
     "Utilice el siguiente IBAN para la transferencia: ES12 3456 7890 1234 5678 9012."),
    ("mix", "mention", (),
     "Your credit card statement is attached."),
    ("mix", "mention", (),
     "Ihre Kreditkartenabrechnung finden Sie im Anhang."),
    ("mix", "mention", (),
     "Votre carte bancaire a été bloquée suite à trois saisies erronées du code PIN."),
    ("mix", "mention", (),
     "Su tarjeta ha sido bloqueada por introducir el PIN incorrecto tres veces."),
    ("mix", "other", (),
     "Please confirm your email address by clicking the link."),
    ("mix", "other", (),
     "Bitte bestätigen Sie Ihre E-Mail-Adresse."),
    ("mix", "mention", (),
     "Ihr neues Passwort muss mindestens 8 Zeichen enthalten."),
    ("mix", "mention", (),
     "Uw nieuwe pas en pincode worden apart verstuurd."),
    ("mix", "mention", (),
     "La tua nuova carta sarà spedita entro 5 giorni, il PIN arriverà separatamente."),
    ("mix", "mention", (),
     "Você receberá a sua nova senha por SMS."),
    ("mix", "mention", (),
     "Vous recevrez votre code PIN par courrier séparé."),
    ("mix", "mention", (),
     "Sie erhalten Ihre PIN in einem separaten Brief."),
    ("mix", "mention", (),
     "U ontvangt uw pincode binnen drie werkdagen per post."),
    ("mix", "mention", (),
     "Recibirá su PIN por correo postal en unos días."),
    ("mix", "mention", (),
     "Riceverai il PIN per posta entro una settimana."),
    ("mix", "request", ("password",),
     "Please reply with the PIN you received by post to activate the card online."),
    ("mix", "mention", (),
     "Thank you for sending your passport copy; we will process it within 2 days."),
    ('mix', 'mention', (),
     "Merci d'avoir envoyé votre RIB, nous allons procéder au remboursement."),
    ("mix", "mention", (),
     "Danke für die Zusendung Ihrer Ausweiskopie."),
    ("mix", "mention", (),
     "Gracias por enviarnos su DNI, ya hemos verificado su identidad."),
    ("mix", "mention", (),
     "Grazie per averci inviato la copia del passaporto."),
    ("mix", "mention", (),
     "Bedankt voor het opsturen van uw paspoort."),
    ("mix", "mention", (),
     "Obrigado por nos enviar o seu IBAN."),
    ("mix", "mention", (),
     "Your passport has been sent back to you by registered mail."),
    ("mix", "mention", (),
     "Ihr Reisepass wurde Ihnen per Einschreiben zugesandt."),
    ("mix", "mention", (),
     "Le hemos enviado su nueva tarjeta de crédito por correo certificado."),
    ("mix", "mention", (),
     "Abbiamo inviato la nuova carta di credito al suo indirizzo."),
    ("mix", "mention", (),
     "We hebben uw nieuwe creditcard naar uw adres gestuurd."),
    ("mix", "mention", (),
     "Enviámos o seu novo cartão de crédito para a sua morada."),
    ("mix", "mention", (),
     "Nous vous avons envoyé votre nouvelle carte bancaire."),
    # mixed: more
    ("mix", "request", ("national_id",),
     "Please send us your ID card number and date of birth."),
    ('mix', 'request', ('national_id',),
     "Merci de nous communiquer le numéro de votre carte d'identité."),
    ("mix", "request", ("national_id",),
     "Bitte nennen Sie uns Ihre Ausweisnummer."),
    ("mix", "request", ("national_id",),
     "Indíquenos el número de su documento de identidad."),
    ('mix', 'request', ('national_id',),
     "Ci comunichi il numero della sua carta d'identità."),
    ("mix", "request", ("national_id",),
     "Geef het nummer van uw identiteitskaart door."),
    ("mix", "request", ("national_id",),
     "Envie-nos o número do seu cartão de cidadão."),
    ("mix", "request", ("id_document", "national_id"),
     "Please send a scan of your ID card and your NI number."),
    ("mix", "request", ("national_id",),
     "HMRC needs your UTR - please reply with it."),
    ('mix', 'request', ('card_number',),
     "Reply with your card's expiry date and the CVV to confirm the booking."),
    ("mix", "request", ("password",),
     "Enter the 3D Secure code you received at http://pay-verify.example to complete the payment."),
    ("mix", "request", ("bank_account",),
     "Bitte senden Sie uns Ihre IBAN und BIC."),
    ("mix", "request", ("password",),
     "Please reply with your login details so I can set up your mailbox."),
    ("mix", "request", ("password",),
     "Envíenos sus datos de acceso a la banca online."),
    ("mix", "request", ("password",),
     "Ci invii i dati di accesso al portale."),
    ("mix", "request", ("card_number",),
     "Your subscription is on hold. Update your card details here: https://netflix-billing.example"),
    ("mix", "request", ("card_number",),
     "Ihr Abo wurde pausiert. Aktualisieren Sie Ihre Kartendaten unter https://streaming-konto.example"),
    ("mix", "request", ("card_number",),
     "Actualice los datos de su tarjeta en este enlace: https://pago-seguro.example"),
    ("mix", "mention", (),
     "You can update your card details at any time in your account settings."),
    ("mix", "mention", (),
     "Please quote your customer account number in all correspondence."),
    ("mix", "mention", (),
     "If you do not have a passport, you can travel with your ID card."),
    ("mix", "request", ("passport",),
     "If you do not have a scanner, just send us a photo of your passport."),
    ("mix", "request", ("bank_account",),
     "Si no tiene el IBAN a mano, envíenos un certificado de su cuenta bancaria."),
    ("mix", "negation", (),
     "If someone asks you to send your passport, ignore the message."),
    ("mix", "negation", (),
     "If you receive an email asking for your PIN, do not reply."),
    ('mix', 'request', ('id_document',),
     "Se non riesci a usare l'app, inviaci una foto della carta d'identità via e-mail."),
    ("mix", "request", ("bank_account",),
     "Als de app niet werkt, stuur ons dan uw IBAN per e-mail."),
    ("mix", "request", ("national_id",),
     "Se não conseguir usar a app, envie-nos o seu NIF por e-mail."),
    # mixed: fp
    ("mix", "mention", (),
     "Wir haben Ihnen Ihre neue Kreditkarte per Post zugesandt."),
    ("mix", "mention", (),
     "Ihre PIN wurde erfolgreich geändert. Falls Sie das nicht waren, kontaktieren Sie uns."),
    ("mix", "mention", (),
     "Bitte bestätigen Sie den Empfang Ihres neuen Reisepasses."),
    ("mix", "mention", (),
     "Ihr Führerschein läuft in drei Monaten ab; die Verlängerung können Sie online beantragen."),
    ("mix", "mention", (),
     "Ihre Zahlung mit der Karte endend auf 7733 wurde abgelehnt."),
    ("mix", "other", (),
     "Bitte senden Sie uns die unterschriebene Vollmacht bis Freitag zurück."),
    ("mix", "negation", (),
     "Teilen Sie Ihre TAN niemals am Telefon mit."),
    ("mix", "negation", (),
     "Geben Sie Ihre Zugangsdaten nicht an Dritte weiter."),
    ("mix", "mention", (),
     "Le enviaremos su nuevo PIN por correo postal."),
    ("mix", "mention", (),
     "Su DNI caduca el mes que viene; puede renovarlo en la comisaría."),
    ("mix", "mention", (),
     "Hemos recibido su solicitud de tarjeta de crédito."),
    ("mix", "other", (),
     "Por favor, envíenos el contrato firmado antes del viernes."),
    ("mix", "negation", (),
     "No facilite nunca sus claves a terceros."),
    ("mix", "negation", (),
     "Nunca le pediremos el código SMS por teléfono."),
    ("mix", "mention", (),
     "Le invieremo il nuovo PIN per posta."),
    ("mix", "mention", (),
     "Il suo passaporto scade tra tre mesi: può rinnovarlo in questura."),
    ("mix", "mention", (),
     "Abbiamo ricevuto la sua richiesta di carta di credito."),
    ("mix", "other", (),
     "Ci invii il contratto firmato entro venerdì."),
    ("mix", "negation", (),
     "Non comunichi mai il codice OTP a nessuno."),
    ("mix", "negation", (),
     "Non rispondere a e-mail che chiedono la tua password."),
    ("mix", "mention", (),
     "Wij sturen u uw nieuwe pincode per post."),
    ("mix", "mention", (),
     "Uw rijbewijs verloopt over drie maanden; u kunt het online verlengen."),
    ("mix", "mention", (),
     "We hebben uw aanvraag voor een creditcard ontvangen."),
    ("mix", "other", (),
     "Stuur ons het ondertekende contract vóór vrijdag."),
    ("mix", "negation", (),
     "Geef uw inlogcode nooit aan iemand anders."),
    ("mix", "negation", (),
     "Reageer niet op e-mails die om uw wachtwoord vragen."),
    ("mix", "mention", (),
     "Vamos enviar-lhe o novo PIN por correio."),
    ("mix", "mention", (),
     "O seu cartão de cidadão caduca daqui a três meses."),
    ("mix", "mention", (),
     "Recebemos o seu pedido de cartão de crédito."),
    ("mix", "other", (),
     "Envie-nos o contrato assinado até sexta-feira."),
    ("mix", "negation", (),
     "Nunca partilhe o código de acesso com terceiros."),
    ("mix", "negation", (),
     "Não responda a e-mails que peçam a sua senha."),
    ("mix", "mention", (),
     "Nous vous enverrons votre nouveau code PIN par courrier."),
    ("mix", "mention", (),
     "Your new PIN will be sent to you by post."),
    ("mix", "mention", (),
     "Please collect your new passport from the embassy."),
    ("mix", "mention", (),
     "We will send your driving licence back to you by registered post."),
    ("mix", "mention", (),
     "Please confirm that the IBAN below is correct: DE89 3704 0044 0532 0130 00."),
    ("mix", "mention", (),
     "Bitte prüfen Sie, ob die folgende IBAN korrekt ist: DE89 3704 0044 0532 0130 00."),
    ('mix', 'mention', (),
     "Per confermare il pagamento, inserisci il codice che ti abbiamo inviato nell'app."),
    ('mix', 'mention', (),
     "Pour valider le paiement, saisissez dans l'application le code reçu par SMS."),
    ("mix", "mention", (),
     "Um die Zahlung freizugeben, geben Sie die TAN in der App ein."),
    ("mix", "mention", (),
     "Para confirmar el pago, introduzca en la app el código recibido por SMS."),
    ("mix", "mention", (),
     "Om de betaling te bevestigen, voert u in de app de code in die u per sms hebt ontvangen."),
    ("mix", "mention", (),
     "Para confirmar o pagamento, introduza na app o código recebido por SMS."),
    ("mix", "mention", (),
     "To confirm the payment, enter the code we texted you in the app."),
    ("mix", "request", ("passport",),
     "Your passport is required for the visa. Please reply with a scan."),
    ("mix", "request", ("id_document",),
     "Ihr Personalausweis wird benötigt. Bitte senden Sie uns eine Kopie per E-Mail."),
    ("mix", "request", ("passport",),
     "If you need help, reply to this email with a copy of your passport."),
    ("mix", "request", ("bank_account",),
     "Falls Sie Hilfe benötigen, senden Sie uns Ihre IBAN per E-Mail."),
    ("mix", "mention", (),
     "Your passport is required at check-in. Please arrive two hours early."),
    # mixed: mails
    ("mix", "request", ("id_document", "bank_account"),
     "Hi Sam,\nWelcome to the flat! Before you move in, could you send me a copy of your ID and your bank details for the rent?\nThanks,\nLaura"),
    ("mix", "request", ("passport",),
     "Dear applicant,\nThank you for your interest. To proceed with the background check, please reply with a clear copy of your passport.\nKind regards,\nRecruitment"),
    ("mix", "mention", (),
     "Dear customer,\nYour new credit card is on its way. It will arrive within 7 days, and the PIN will follow in a separate letter.\nBest regards,\nCard Services"),
    ("mix", "negation", (),
     "Hello,\nReminder: our staff will never ask you to disclose your online banking password. If in doubt, call us.\nYour Bank"),
    ("mix", "secure_channel", (),
     "Dear member,\nPlease upload your proof of address and passport through the member portal. For security reasons, documents sent by email will be deleted.\nRegards"),
    ("mix", "request", ("national_id",),
     "Bonjour Mme Petit,\nPour finaliser votre inscription à la mutuelle, pourriez-vous nous communiquer votre numéro de sécurité sociale ?\nCordialement,\nLe service adhérents"),
    ('mix', 'mention', (),
     "Bonjour,\nVotre carte Vitale a bien été mise à jour. Aucune démarche n'est nécessaire de votre part.\nL'Assurance Maladie"),
    ('mix', 'secure_channel', (),
     "Bonjour,\nMerci de déposer votre avis d'imposition et votre pièce d'identité dans votre espace personnel : pour des raisons de sécurité, nous ne traitons pas les documents reçus par e-mail.\nCordialement"),
    ("mix", "request", ("bank_account",),
     "Hallo Herr Becker,\nfür die Rückerstattung Ihrer Kaution benötigen wir noch Ihre Bankverbindung. Bitte schicken Sie uns diese einfach per E-Mail.\nViele Grüße\nIhre Hausverwaltung"),
    ("mix", "mention", (),
     "Sehr geehrte Kundin,\nIhre neue Girocard wurde versandt. Die zugehörige PIN erhalten Sie separat per Post.\nMit freundlichen Grüßen"),
    ("mix", "secure_channel", (),
     "Guten Tag,\nbitte laden Sie Ihren Gehaltsnachweis und eine Kopie Ihres Personalausweises im Kundenportal hoch. Unterlagen per E-Mail können wir aus Datenschutzgründen nicht annehmen.\nFreundliche Grüße"),
    ("mix", "request", ("password",),
     "Hola Marta,\nsoy Juan, de sistemas. Estoy configurando tu nuevo portátil; ¿me puedes mandar tu contraseña del correo?\nGracias"),
    ("mix", "mention", (),
     "Estimado cliente:\nLe informamos de que su tarjeta de débito ha sido renovada. Recibirá el PIN por correo postal.\nAtentamente"),
    ("mix", "secure_channel", (),
     "Estimado cliente:\nPara completar su solicitud, suba una copia de su DNI en la zona privada de nuestra web. Por su seguridad, no admitimos documentos por correo electrónico.\nUn saludo"),
    ('mix', 'request', ('card_number',),
     "Ciao Luca,\nper la prenotazione dell'hotel mi serve il numero della tua carta di credito con la data di scadenza. Me lo mandi per mail?\nGrazie!"),
    ("mix", "mention", (),
     "Gentile cliente,\nla sua nuova carta di credito è stata spedita. Il PIN le arriverà in una busta separata.\nCordiali saluti"),
    ('mix', 'secure_channel', (),
     "Gentile cliente,\nla preghiamo di caricare la copia del documento d'identità nell'area riservata dell'app: per motivi di sicurezza non accettiamo documenti inviati via e-mail.\nCordiali saluti"),
    ("mix", "request", ("national_id", "bank_account"),
     "Beste Tom,\nvoor je eerste salaris hebben we nog je BSN en je rekeningnummer nodig. Kun je die even mailen?\nGroet,\nHR"),
    ("mix", "mention", (),
     "Beste klant,\nUw nieuwe betaalpas is onderweg. De pincode ontvangt u apart per post.\nMet vriendelijke groet"),
    ("mix", "secure_channel", (),
     "Beste klant,\nUpload een kopie van uw identiteitsbewijs in de beveiligde omgeving van Mijn Bank. Documenten per e-mail kunnen wij helaas niet verwerken.\nMet vriendelijke groet"),
    ("mix", "request", ("id_document",),
     "Olá Ana,\npara o contrato de arrendamento preciso de uma cópia do teu cartão de cidadão. Consegues enviar-ma por e-mail?\nObrigado"),
    ("mix", "mention", (),
     "Caro cliente,\no seu novo cartão de débito foi enviado. O PIN será enviado por correio em separado.\nCumprimentos"),
    ("mix", "secure_channel", (),
     "Caro cliente,\ncarregue por favor uma cópia do seu documento de identificação na área reservada da app. Por motivos de segurança, não aceitamos documentos enviados por e-mail.\nCumprimentos"),
    ("mix", "other", (),
     "Hi all,\nThe quarterly report is attached. Please send me your comments by Friday.\nThanks,\nMia"),
    ("mix", "other", (),
     "Hallo zusammen,\nanbei das Protokoll der letzten Sitzung. Bitte senden Sie mir Ihre Anmerkungen bis Freitag.\nViele Grüße"),
    # mixed: other
    ("mix", "other", (),
     "Please enter the promo code SPRING24 at checkout to get 10% off."),
    ("mix", "other", (),
     "Please send us the postal code of the delivery address."),
    ("mix", "other", (),
     "Attach your boarding pass to the expense claim."),
    ("mix", "other", (),
     "Please send your gift card order by Friday."),
    ("mix", "other", (),
     "Ci mandi il conto della cena, per favore."),
    ("mix", "other", (),
     "Per favore, inviaci il documento firmato entro lunedì."),
    ("mix", "other", (),
     "Envíenos el documento firmado antes del lunes."),
    ("mix", "other", (),
     "Envie-nos o documento assinado até segunda-feira."),
    ("mix", "other", (),
     "Merci de nous envoyer le permis de construire signé."),
    ("mix", "other", (),
     "Bitte senden Sie uns den Code of Conduct unterschrieben zurück."),
    ("mix", "other", (),
     "Stuur ons de getekende documenten vóór maandag."),
    ("mix", "other", (),
     "Please confirm your account email address."),
    ("mix", "other", (),
     "Could you share the Wi-Fi code of the meeting room?"),
    ("mix", "negation", (),
     "Geben Sie Ihre Kartennummer niemals in E-Mails an."),
    ("mix", "negation", (),
     "Nunca envíe fotos de su DNI por WhatsApp ni por correo."),
    ('mix', 'negation', (),
     "Non inviare mai la foto della carta d'identità via chat."),
    ("mix", "negation", (),
     "Stuur nooit een foto van uw paspoort via e-mail."),
    ("mix", "negation", (),
     "Nunca envie fotografias do seu cartão de cidadão por e-mail."),
    ('mix', 'negation', (),
     "N'envoyez jamais la photo de votre carte d'identité par e-mail."),
    ("mix", "negation", (),
     "Under no circumstances should you send your PIN by email."),
    ("mix", "negation", (),
     "Keep your one-time codes to yourself: our staff will not ask for them."),
    ("mix", "mention", (),
     "Your identity has been verified successfully. No further documents are needed."),
    ("mix", "mention", (),
     "Ihr Ausweis wurde erfolgreich geprüft. Weitere Unterlagen sind nicht erforderlich."),
    ("mix", "mention", (),
     "Hemos verificado su identidad. No necesitamos más documentos."),
    ("mix", "mention", (),
     "Abbiamo verificato la sua identità: non servono altri documenti."),
    ("mix", "mention", (),
     "Uw identiteit is geverifieerd. Er zijn geen verdere documenten nodig."),
    ("mix", "mention", (),
     "A sua identidade foi verificada. Não são necessários mais documentos."),
    ('mix', 'mention', (),
     "Votre identité a été vérifiée. Aucun autre document n'est nécessaire."),
]
LANGS = ("en", "fr", "de", "es", "it", "nl", "pt")


@pytest.mark.parametrize("lang,label,expected,text", LANG_CASES)
def test_lang_cases(lang, label, expected, text):
    got = find_requests(text)
    if label == "request":
        assert got == frozenset(expected)
    else:
        assert got == frozenset()


def test_lang_cases_cover_every_language_and_category():
    for lang in LANGS:
        rows = [r for r in LANG_CASES if r[0] == lang]
        cats = {c for _, label, expected, _ in rows if label == "request" for c in expected}
        assert cats == set(CATEGORIES), lang
        labels = {label for _, label, _, _ in rows}
        assert labels == {"request", "secure_channel", "mention", "negation", "other"}, lang


# Pointers to the app / portal instead of mail: no category, secure_channel set.
SECURE_POINTERS = [r[3] for r in LANG_CASES if r[1] == "secure_channel"] + [
    "Bitte laden Sie Ihren Ausweis in der App hoch, bitte nicht per E-Mail.",
    "Suba su DNI en el área privada; no lo envíe por correo.",
    "Carichi la carta d'identità nell'area riservata e non la invii per e-mail.",
    "Upload uw identiteitsbewijs in de beveiligde omgeving en stuur het niet per mail.",
    "Carregue o cartão de cidadão na área reservada e não o envie por e-mail.",
]
# Mail requests that name an app or portal: still requests.
MAIL_REQUESTS = [
    ("If you cannot use the app, please reply to this email with a copy of your passport.", {"passport"}),
    ("Our portal is down today, so please email us a scan of your passport instead.", {"passport"}),
    ("Log in to the app if you like, but the quickest way is to reply with your IBAN.", {"bank_account"}),
    ("Falls die App nicht funktioniert, senden Sie uns Ihre IBAN bitte als Antwort auf diese E-Mail.",
     {"bank_account"}),
    ("Si la aplicación no funciona, responda a este correo con una copia de su pasaporte.", {"passport"}),
]
# Credentials entered at a link, naming the online banking: still password requests.
PHISHING_LINKS = [
    "Confirm your online banking password at this link: https://secure-bank-check.example/login",
    "Log in to your online banking via the link below and confirm your PIN and TAN: http://bank-update.example",
    "Bestätigen Sie Ihr Online-Banking-Passwort über den folgenden Link: https://bank-verify.example",
    "Confirme su clave de la banca online en este enlace: http://banca-segura.example",
    "Confermi la password dell'home banking tramite il link: https://verifica-banca.example",
    "Bevestig uw wachtwoord voor internetbankieren via deze link: https://bank-check.example",
    "Confirme a sua palavra-passe do homebanking neste link: https://banco-seguro.example",
]


@pytest.mark.parametrize("text", SECURE_POINTERS)
def test_secure_channel_is_no_request(text):
    assert find_requests(text) == frozenset()
    r = sensitive_module.classify(text)
    assert r["categories"] == frozenset() and r["secure_channel"] is True


@pytest.mark.parametrize("text,expected", MAIL_REQUESTS)
def test_mail_request_naming_an_app(text, expected):
    assert find_requests(text) == frozenset(expected)


@pytest.mark.parametrize("text", PHISHING_LINKS)
def test_credentials_at_a_link_stay_requests(text):
    r = sensitive_module.classify(text)
    assert "password" in r["categories"]
    assert r["link"] is True


def test_classify():
    c = sensitive_module.classify
    assert c(None) == c("") == {"categories": frozenset(), "secure_channel": False, "link": False}  # type: ignore[arg-type]
    r = c("Reply to this email with a copy of your passport.")
    assert r == {"categories": frozenset({"passport"}), "secure_channel": False, "link": False}
    assert c("Thanks for your order!")["categories"] == frozenset()
    assert c("See https://example.com for the menu.")["link"] is True
    for text, _ in POSITIVES + [(t, None) for t in NEGATIVES] + [(r[3], None) for r in LANG_CASES]:
        assert c(text)["categories"] == find_requests(text), text
    assert "classify" in sensitive_module.__all__ and "request_scores" in sensitive_module.__all__


def test_request_scores():
    rows = [
        {"id": "a", "lang": "en", "label": "request", "categories": ["passport"],
         "text": "Please send us a copy of your passport."},
        {"id": "b", "lang": "en", "label": "request", "categories": ["bank_account"],
         "text": "Please send us a copy of your passport."},                     # wrong category
        {"id": "c", "lang": "de", "label": "request", "categories": ["password"], "text": "Hallo!"},  # missed
        {"id": "d", "lang": "de", "label": "mention", "categories": [],
         "text": "Bitte senden Sie uns Ihre IBAN."},                                  # false alarm
        {"id": "e", "lang": "de", "label": "other", "categories": [], "text": "Guten Tag."},
    ]
    s = sensitive_module.request_scores(rows)
    o = s["overall"]
    assert (o["n"], o["tp"], o["fp"], o["fn"], o["tn"]) == (5, 2, 1, 1, 1)
    assert o["precision"] == pytest.approx(2 / 3) and o["recall"] == pytest.approx(2 / 3)
    assert o["category_exact"] == 0.5
    de = s["by_lang"]["de"]
    assert (de["tp"], de["precision"], de["recall"], de["category_exact"]) == (0, 0.0, 0.0, None)
    assert s["by_lang"]["en"]["precision"] == 1.0
    assert [(e["id"], e["kind"]) for e in s["errors"]] == [("b", "categories"), ("c", "fn"), ("d", "fp")]
    assert s["errors"][0]["predicted"] == ["passport"] and s["errors"][0]["expected"] == ["bank_account"]
    empty = sensitive_module.request_scores([])
    assert empty["overall"]["precision"] == 1.0 and empty["overall"]["recall"] == 1.0 and empty["errors"] == []


NEW_CUE_SAMPLES = [
    # DE
    "bitte senden sie uns", "schicken sie", "schick mir", "antworten sie", "antworte mit", "ubermitteln",
    "teilen sie uns", "geben sie", "wir bitten sie um", "bitte um", "fehlt uns noch", "wie lautet ihre",
    "benotige", "sagen sie uns",
    # ES
    "envienos", "envie", "envia", "mandenos", "remitanos", "facilitenos", "proporcione", "adjunte", "responda",
    "contesta", "le rogamos", "haganos llegar", "indiquenos", "dime", "me pasas", "nos falta", "cual es su",
    "necesitamos", "por favor, enviar",
    # IT
    "inviateci", "ci invii", "mi mandi", "rispondete", "alleghi", "fornisca", "confermi", "comunichi",
    "trasmetta", "la preghiamo di", "abbiamo bisogno", "ci serve", "mi giri", "ci manca ancora", "inoltrarci",
    "qual e il suo", "fateci avere",
    # NL
    "stuur ons", "stuurt u", "antwoord met", "reageer", "voeg", "bevestig", "geef", "vul", "mail ons",
    "wij vragen u", "graag ontvangen wij", "we missen nog", "wat is uw", "mag ik", "laat ons",
    # PT
    "envie-nos", "manda-me", "responda", "responde", "anexe", "forneca", "indique", "informe", "pedimos que",
    "me passa", "diga-nos", "ainda falta", "qual e o seu", "encaminhe",
    # EN / FR additions
    "please email", "e-mail a copy of", "emailing us", "is missing", "can i have", "what's your", "drop me",
    "dites-moi", "faire suivre", "quel est votre",
]
NEW_CUE_AFTER_SAMPLES = [
    "ist erforderlich", "wird benotigt", "zusenden", "zukommen lassen", "nachreichen", "is vereist", "nodig",
    "opsturen", "doorgeven", "toe te sturen", "e necessario", "sono necessari", "va inviato",
    "deve essere inviato", "e obrigatorio", "sao necessarios", "mandarmela", "envienoslo", "allegarlo",
    "me l'envoyer", "nous le transmettre", "doit nous etre transmise", "anexa-la", "me mandar", "fehlt",
]
NEW_NEGATION_SAMPLES = [
    "niemals", "keinesfalls", "nie", "nunca", "jamas", "no le pediremos", "no comparta", "non condividere",
    "non vi chiederemo", "mai condividere", "nooit", "niet", "geen", "nao partilhe", "nao lhe pediremos",
    "mensajes que le pidan", "e-mail che chiedono", "berichten die vragen om", "e-mails, die nach ihrem pin fragen",
    "mensagens que pecam", "tenga cuidado", "wees alert", "cuidado com", "truffatori", "oplichters",
    "golpistas", "estafadores", "betruger", "fraudulento",
]


def _lang_texts():
    yield from (r[3] for r in LANG_CASES)
    yield from SECURE_POINTERS
    yield from (t for t, _ in MAIL_REQUESTS)
    yield from PHISHING_LINKS
    yield from NEW_CUE_SAMPLES
    yield from NEW_CUE_AFTER_SAMPLES
    yield from NEW_NEGATION_SAMPLES


def test_new_cue_samples():
    from detectors import sensitive as s

    for c in NEW_CUE_SAMPLES:
        assert s._has_cue(normalise(c) + " ", ""), c
    for c in NEW_CUE_AFTER_SAMPLES:
        assert s._has_cue("", " " + normalise(c)) or s._PASSIVE_BEFORE.search(normalise(c)), c
    for n in NEW_NEGATION_SAMPLES:
        assert s._negated(normalise(n)), n


def test_cue_groups_cover_their_matches():
    """Each gated regex (cue groups, negation groups) only matches where one of its trigger words is."""
    from detectors import sensitive as s

    parts = s._CUE_BEFORE_PARTS + s._CUE_AFTER_PARTS + s._PASSIVE_BEFORE_PARTS + s._NEGATION_PARTS
    texts = [normalise(t) for t in list(_all_texts()) + list(_lang_texts()) + MORE_POSITIVES + MORE_NEGATIVES]
    for trig, rx in parts:
        for t in texts:
            for m in rx.finditer(t):
                assert not trig.isdisjoint(s._words(m.group())), (rx.pattern[:40], m.group())
    for t in texts:
        for m in s._CUE_BEFORE.finditer(t):
            assert not s._CUE_BEFORE_WORDS.isdisjoint(s._words(m.group())), m.group()
        for m in s._CUE_AFTER.finditer(t):
            assert not s._CUE_AFTER_WORDS.isdisjoint(s._words(m.group())), m.group()
        for m in s._NEGATION.finditer(t):
            assert not s._NEGATION_TRIGGERS.isdisjoint(s._words(m.group())), m.group()


def test_pre_tests_cover_their_regexes():
    """The word pre-tests of the awaited, reader, thanks, guard, channel and follow-up regexes."""
    from detectors import sensitive as s

    texts = [normalise(t) for t in list(_all_texts()) + list(_lang_texts()) + MORE_POSITIVES + MORE_NEGATIVES] + [
        "we have not yet received your iban", "wir haben ihre iban noch nicht erhalten", "liegt uns noch nicht vor",
        "nous n'avons pas encore recu votre rib", "todavia no hemos recibido su dni", "non abbiamo ancora ricevuto",
        "we hebben uw bsn nog niet ontvangen", "ainda nao recebemos o seu nif", "we are still waiting for",
        "upload it in the kundenportal", "im dokumentenportal", "in de documentenportaal", "the bankingapp",
        "via whatsapp", "in der app", "nell'app", "na app", "no homebanking", "im online-banking",
        "in your online account", "secure form", "mijn omgeving", "mettez a jour vos donnees", "werk uw gegevens bij",
        "if you cannot use the app, send", "falls die app nicht geht, senden", "se non riesci, invia", "au cas ou vous",
    ]
    pairs = [(s._AWAITED, s._AWAITED_WORDS), (s._READER_NEEDS, s._READER_NEEDS_WORDS), (s._THANKS, s._THANKS_WORDS),
             (s._MENTION_GUARDS["_document"], s._GUARD_WORDS["_document"]),
             (s._MENTION_GUARDS["bank_account"], s._GUARD_WORDS["bank_account"]), (s._LINK_CUE, s._LINK_CUE_WORDS),
             (s._CONDITIONAL, s._CONDITIONAL_WORDS)]
    for t in texts:
        for rx, gate in pairs:
            for m in rx.finditer(t):
                assert not gate.isdisjoint(s._words(m.group())), (rx.pattern[:40], m.group())
        for m in s._CHANNEL.finditer(t):
            assert s._channel_word(s._words(m.group()), m.group()), m.group()
        for m in s._FOLLOW.finditer(t):
            w = s._words(m.group())
            assert not s._FOLLOW_VERBS.isdisjoint(w) and not s._FOLLOW_PRONOUNS.isdisjoint(w), m.group()


def test_anchor_words_cover_new_nouns():
    """Every noun match contains an anchor word of its category (new languages)."""
    from detectors import sensitive as s

    nouns = {
        "id_document": ["personalausweis", "ausweiskopie", "lichtbildausweis", "id-karte", "identitatsnachweis",
                        "documento de identidad", "dni", "carnet de identidad", "tarjeta de residencia",
                        "carta d'identita", "carta di identita", "documento di riconoscimento", "permesso di soggiorno",
                        "identiteitsbewijs", "id-kaart", "verblijfsvergunning", "legitimatie", "cartao de cidadao",
                        "bilhete de identidade", "documento de identificacao", "rg", "titre de sejour"],
        "passport": ["reisepass", "reisepasses", "passkopie", "ihren pass", "pasaporte", "passaporto",
                     "paspoort", "passaporte"],
        "drivers_licence": ["fuhrerschein", "fuhrerscheinkopie", "carne de conducir", "permiso de conducir",
                            "patente", "patente di guida", "rijbewijs", "carta de conducao", "cnh", "permis"],
        "national_id": ["steuer-id", "steueridentifikationsnummer", "sozialversicherungsnummer", "sv-nummer",
                        "numero de la seguridad social", "nif", "nie", "numero de dni", "codice fiscale", "bsn",
                        "burgerservicenummer", "rijksregisternummer", "cpf", "niss", "numero de contribuinte",
                        "numero d'identification fiscale", "numero di identificazione fiscale",
                        "numero de afiliacion"],
        "bank_account": ["bankverbindung", "kontonummer", "kontoverbindung", "datos bancarios", "numero de cuenta",
                         "coordinate bancarie", "dati bancari", "numero di conto", "conto corrente", "rekeningnummer",
                         "bankgegevens", "dados bancarios", "numero da conta", "nib"],
        "card_number": ["kreditkartennummer", "kartennummer", "prufnummer", "numero de tarjeta",
                        "numero completo de la tarjeta", "numero della carta", "carta di credito", "kaartnummer",
                        "creditcardnummer", "numero do cartao", "cartao de credito", "debit card",
                        "number on your debit card", "chiffres de votre carte", "carte bleue"],
        "password": ["passwort", "kennwort", "zugangsdaten", "bestatigungscode", "pincode", "pushtan", "contrasena",
                     "clave de acceso", "codigo de verificacion", "credenziali", "codice otp",
                     "codice di verifica", "wachtwoord", "inloggegevens", "verificatiecode", "sms-code", "senha",
                     "palavra-passe", "codigo de acesso", "credenciais"],
    }
    for cat, items in nouns.items():
        rx = s._NOUN_RES[cat]
        for noun in items:
            m = rx.search(noun)
            assert m and m.group() == noun, (cat, noun)
            assert any(cat in s._ANCHOR_CATS.get(w.decode(), ()) for w in s._words(noun)), (cat, noun)


def test_abbreviations_do_not_end_sentences():
    assert find_requests("Antwoord a.u.b. met uw IBAN.") == {"bank_account"}
    assert find_requests("Bitte senden Sie uns z.B. Ihre IBAN.") == {"bank_account"}


def test_security_code_of_a_card_is_card_data():
    assert find_requests("Reply with your card number, expiry date and the three-digit security code.") == {
        "card_number"}
    assert find_requests("Envíenos el número de su tarjeta y el código de seguridad.") == {"card_number"}
    assert find_requests("Reply with the security code we just texted you.") == {"password"}


# ------------------------------------------- the fast paths change nothing
#
# Reference: find_requests and normalise as first written (NFKD of the whole
# text, word-set test on the normalised text, every noun match of the window
# inspected, the request tests in their original order), on the module's
# unchanged word lists and regexes. The optimised module must agree with it on
# every input.

# The reference is of the rules; find_requests corrects them with the learned scorer
# (tested apart below, "learned scorer").


def _rules(text):
    """find_requests with the rules alone (no learned scorer)."""
    return sensitive_module._find_requests(text, None, use_model=False)


# a dot after a one-letter word that follows a dot or a space ("a.u.b.", "z. B.") ends nothing,
# nor one after a list number ("send: 1. a copy")
_REF_BOUNDARY = re.compile(r"(?:(?<![.\s][a-z])(?<![\s:(]\d)\.|[!?;])(?:\s|$)|\n\s*\n")


def _ref_normalise(text):
    from detectors import sensitive as s

    if text.isascii():
        return text.lower()
    t = unicodedata.normalize("NFKD", text)
    # each emoji or pictograph (with its variation selectors and joiners) ends a clause
    t = re.sub("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF][\uFE0F\u200D]*", " \n\n", t)
    for a, b in s._ASCII_FOLD:
        if a in t:
            t = t.replace(a, b)
    return t.encode("ascii", "ignore").decode("ascii").lower()


def _ref_words(text):
    from detectors import sensitive as s

    return text.encode("ascii").translate(s._SEPARATORS).split()


def _ref_has_cue(pre, post):
    from detectors import sensitive as s

    if not s._CUE_BEFORE_WORDS.isdisjoint(_ref_words(pre)) and s._CUE_BEFORE.search(pre):
        return True
    return not s._CUE_AFTER_WORDS.isdisjoint(_ref_words(post)) and s._CUE_AFTER.search(post) is not None


def _ref_negated(window):
    from detectors import sensitive as s

    words = _ref_words(window)
    if not s._NEGATION_WORDS.isdisjoint(words):
        return True
    return not s._NEGATION_TRIGGERS.isdisjoint(words) and s._NEGATION.search(window) is not None


def _ref_is_request(t, start, end, cat):
    from detectors import sensitive as s

    pre = t[max(0, start - s._BEFORE) : start]
    cut = None
    for cut in _REF_BOUNDARY.finditer(pre):
        pass
    if cut is not None:
        pre = pre[cut.end() :]
    post = t[end : end + s._AFTER]
    cut = _REF_BOUNDARY.search(post)
    if cut is not None:
        post = post[: cut.start()]
    window = f"{pre}{t[start:end]}{post}"
    awaited = s._AWAITED.search(window) is not None
    before = not s._CUE_BEFORE_WORDS.isdisjoint(_ref_words(pre)) and s._CUE_BEFORE.search(pre) is not None
    before = before or (s._LINK_CUE.search(pre) is not None and s._LINKISH.search(t) is not None)
    # the noun first, then a colon and an active cue ("Your IBAN: please reply with it")
    colon = s._COLON.match(post)
    before = before or (colon is not None and s._CUE_BEFORE.search(post[colon.end():]) is not None)
    # an elliptic request: "bitte die Kreditkartendaten per Mail"
    before = before or (s._ELLIPTIC_BEFORE.search(pre) is not None and s._ELLIPTIC_AFTER.match(post) is not None)
    after = not s._CUE_AFTER_WORDS.isdisjoint(_ref_words(post)) and s._CUE_AFTER.search(post) is not None
    after = after or (not s._PASSIVE_BEFORE_WORDS.isdisjoint(_ref_words(pre)) and s._PASSIVE_BEFORE.search(pre) is not None)
    # a passive cue asks for a document only in a form that travels by mail
    cued = before or (after and (cat not in s._DOCUMENTS or s._transferable(t, start, end, _ref_words(window))))
    rest = window[len(pre):]
    if not awaited and not cued:
        follow = s._follow_up(t, end)
        if follow is None:
            return False
        window = f"{window} {follow}"
        rest = f"{rest} {follow}"
    if _ref_negated(s._negation_view(pre, rest, awaited)):
        return False
    guard = s._MENTION_GUARDS.get(cat)
    if guard is not None and guard.search(s._without_urls(window)):
        return False
    # the vetoes without a fast path (code given, card code, value, own data, secure channel)
    return not s._late_veto(t, start, end, cat, pre, post, window, _ref_words(window))


def _ref_find_requests(text):
    from detectors import sensitive as s

    if not text or not isinstance(text, str):
        return frozenset()
    t = _ref_normalise(text)
    hits = s._ANCHOR_BYTES.intersection(_ref_words(t))
    if hits:  # the pair anchors count in a text with another anchor word
        hits |= s._PAIR_ANCHOR_BYTES.intersection(_ref_words(t))
    found = set()
    n = len(t)
    for bword in hits:
        word = bword.decode("ascii")
        cats = [c for c in s._ANCHOR_CATS[word] if c not in found]
        size = len(word)
        i = t.find(word)
        while i >= 0:
            j = i + size
            if (i == 0 or not t[i - 1].isalnum()) and (j == n or not t[j].isalnum()):
                ws, we = max(0, i - s._WIN_BEFORE), j + s._WIN_AFTER
                for cat in cats:
                    if cat in found:
                        continue
                    for m in s._NOUN_RES[cat].finditer(t, ws, we):
                        if m.start() <= i < m.end() and _ref_is_request(t, m.start(), m.end(), cat):
                            found.add(cat)
                            break
            i = t.find(word, j)
    return frozenset(found)


def _fold_sample():
    """Characters whose normalisation the fast paths special-case or must leave to NFKD."""
    from detectors import sensitive as s

    return (
        [chr(c) for c in range(256)]
        + list(s._WIDE_FOLD)
        + [a for a, _ in s._ASCII_FOLD]
        + list("\u0301\u0300\u0327\u0308\u200d\ufeff\ufb01\ufb03\uff21\uff50\u0130\u0131\u1e9e\u0133\u01c5"
               "\u2116\u3390\u2460\u24df\u2160\U0001d429\U0001f642\ud800\udc00\u2011\u2103\u0149")
    )


def test_normalise_fast_paths_single_and_pairs():
    from detectors import sensitive as s

    for c in itertools.chain(map(chr, range(0x3000)), _fold_sample()):
        assert normalise(c) == _ref_normalise(c), repr(c)
        assert normalise("Pass" + c + "port") == _ref_normalise("Pass" + c + "port"), repr(c)
    pool = _fold_sample()[::2] + ["e", "S", " ", "1"]
    for a, b in itertools.product(pool, repeat=2):
        assert normalise(a + b) == _ref_normalise(a + b), repr(a + b)
    # the tables cover Latin-1 completely
    assert len(s._LATIN1_TABLE) == 256


def test_digit_free_anchor_words_are_anchor_words():
    """The pre-check deletes digits: that must never hide an anchor word."""
    from detectors import sensitive as s

    for w in s._ANCHOR_BYTES:
        assert w.translate(None, s._DIGITS) in s._ANCHOR_BYTES, w


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=".!?;\n\r\t\x1c ab", max_size=14))
def test_boundary_regex_unchanged(text):
    from detectors import sensitive as s

    assert [m.span() for m in s._BOUNDARY.finditer(text)] == [m.span() for m in _REF_BOUNDARY.finditer(text)]
    for pos in range(len(text)):
        a, b = s._BOUNDARY.search(text, pos), _REF_BOUNDARY.search(text, pos)
        assert (a and a.span()) == (b and b.span())


_PIECES = sorted(
    {w for words in sensitive_module._ANCHORS.values() for w in words.split()}
    | set(CUE_SAMPLES) | set(CUE_AFTER_SAMPLES) | set(NEGATION_SAMPLES) | set(NOT_NEGATION_SAMPLES)
    | {
        # nouns and near-misses
        "passport", "passports", "passp0rt", "pass port", "pass-word", "passwd", "pins", "pinned", "ident",
        "identity card", "id card", "ids", "i.d.", "cvv2", "cvv22", "2fa code", "6-digit code", "bankk",
        "bank details", "banking credentials", "credit card number", "card ending in 1234", "iban:", "fr76 3000",
        "code is 123456", "driver's license", "drivers licence", "permis de conduire", "carte d'identite",
        "piece d identite", "numero de securite sociale", "mot de passe", "code recu", "releve d'identite bancaire",
        "coordonnees bancaires", "social security number", "routing number", "sort code", "tan", "otp",
        # context
        "please", "kindly", "your", "our", "my", "notre", "votre", "the", "a copy of", "a photo of", "reset",
        "forgot", "new password", "appointment", "ending in", "below", "following", "pay to", "expires",
        "was charged", "by email", "to this email", "now", "today", "asap", "http://x.example/id=3",
        # the other languages, the secure channel, follow-ups, conditionals
        "ihre", "su", "il suo", "uw", "o seu", "unsere", "nuestra", "il nostro", "ons", "o nosso", "eine kopie",
        "una copia de", "una copia del", "een kopie van", "uma copia do", "kreditkartennummer", "numero de tarjeta",
        "codice fiscale", "rekeningnummer", "cartao de cidadao", "in der app", "in the app", "nell'app", "na app",
        "im online-banking", "via the customer portal", "not by email", "nicht per e-mail", "no por correo",
        "non via e-mail", "niet per e-mail", "nao por e-mail", "rather than", "instead of", "statt", "en lugar de",
        "email is not secure", "we have not received", "noch nicht erhalten", "wir haben", "no hemos recibido",
        "if you cannot", "falls", "si no", "se non", "please send it", "stuur het", "envie-o", "send them",
        "thank you for sending", "danke fur die zusendung", "is required", "ist erforderlich", "es necesario",
        "to board", "security code", "card number", "ihr code lautet", "su codigo es", "link", "the link below",
        "https://bank.example/login", "online banking", "you will need", "sie benotigen", "is missing",
        # contrast clauses, noun first with a colon, lists, mail addresses, "and send it"
        ", but", ", mais", ", aber", ", pero", ", ma", ", maar", ", mas", "but", "aber", ": please reply with it",
        ": merci de nous l'envoyer", ": bitte senden Sie", "number:", "1.", "2.", "1)", "an hr@firma.de:",
        "to hr@firm.example", "and send it", "et envoyez-le", "y envíenos", "e mandaci", "en stuur", "worden gestuurd",
        "nous serait utile", "deve essere inviata", "debe enviarse", "digits on the back of your card",
        "inutile de", "refrain from", "on our website", "l'ENT", "account number", "numero de compte",
        "customer account number", "acct no",
    }
    | set(NEW_CUE_SAMPLES) | set(NEW_CUE_AFTER_SAMPLES) | set(NEW_NEGATION_SAMPLES)
)
_SEPS = [" ", " ", " ", " ", ", ", ". ", "! ", "? ", "; ", ":", "\n", "\n\n", " - ", "'", "\u2019", "(", ")",
         "/", "_", "-", "\u2026", "\u2014", "\u00a0", "\u202f", " \u20ac ", "", ".", "\t", "\x1c"]
_ACCENTS = str.maketrans({"e": "\u00e9", "a": "\u00e0", "c": "\u00e7", "u": "\u00fc", "i": "\u00ee", "o": "\u00f4",
                          "E": "\u00c9", "A": "\u00c0"})
_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}


def _fullwidth(w):
    return "".join(_FULLWIDTH.get(c, c) for c in w)


def _zero_width(w):
    return w[: len(w) // 2] + "\u200b" + w[len(w) // 2 :]


def _combining(w):
    return w[:1] + "\u0301" + w[1:]


def _ligature(w):
    return w.replace("fi", "\ufb01").replace("ff", "\ufb00").replace("ss", "\u00df")


_VARIANTS = [
    str, str, str, str.upper, str.title, str.capitalize, lambda w: w.translate(_ACCENTS),
    lambda w: w.upper().translate(_ACCENTS), _fullwidth, _zero_width, _combining, _ligature,
    lambda w: w.replace("i", "\u0131"), lambda w: w.replace("e", "e\u0301"), lambda w: w + "2",
    lambda w: w + "\U0001f642", lambda w: w + "\ud800",
]

_messages = st.lists(
    st.tuples(st.sampled_from(_PIECES), st.sampled_from(_VARIANTS), st.sampled_from(_SEPS)),
    max_size=30,
).map(lambda parts: "".join(v(w) + sep for w, v, sep in parts))


@settings(max_examples=400, deadline=None)
@given(_messages)
def test_find_requests_matches_reference(text):
    assert normalise(text) == _ref_normalise(text)
    assert _rules(text) == _ref_find_requests(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_find_requests_matches_reference_on_any_text(text):
    assert normalise(text) == _ref_normalise(text)
    assert _rules(text) == _ref_find_requests(text)


@pytest.mark.parametrize("text", [
    "\ud800", "send your passport \ud800", "Please send your IBAN\ud800",
    "Please send your \uff30\uff21\uff33\uff33\uff30\uff2f\uff32\uff34",
    "please send your \ufb01scal number", "Please send your \u1e9e passport", "PLEASE SEND YOUR PASSPORT",
    "\u00c9NVOYEZ VOTRE RIB", "Merci d\u2019envoyer votre pi\u00e8ce d\u2019identit\u00e9 \u2014 \u20ac 10",
    "send your pa\u0301ssport", "send your ssn\u00a0now", "Please send your CVV2.", "Please send your PIN2 now",
    "Please send your passport. " * 500, "x" * 100_000,
])
def test_find_requests_matches_reference_odd_inputs(text):
    assert normalise(text) == _ref_normalise(text)
    assert _rules(text) == _ref_find_requests(text)


def test_find_requests_matches_reference_on_tables():
    for text in list(_all_texts()) + list(_lang_texts()) + MORE_POSITIVES + MORE_NEGATIVES + NEGATION_SAMPLES:
        for variant in (text, text.upper(), text.translate(_ACCENTS), _fullwidth(text)):
            assert _rules(variant) == _ref_find_requests(variant), variant


# ------------------------------------------- classes of phrasing (dev2 generalisation)
#
# Written for the classes of phrasing found missing on dev2.jsonl (not copies of
# its sentences): the noun first with a colon, a contrast clause after a
# negation of another category, numbered lists, a mail address as destination,
# "... and send it", passive and modal forms, polite conditionals, the digits on
# the back of a card, regional ids; and the mentions they must not catch.

CLASS_POSITIVES = [

 ("Your passport number: kindly email it to us before check-in.", {"passport"}),
 ("Votre RIB : merci de nous le transmettre par retour de mail.", {"bank_account"}),
 ("Ihre Steuer-ID: bitte senden Sie uns diese per E-Mail.", {"national_id"}),
 ("Su número de cuenta: por favor, envíenoslo por correo.", {"bank_account"}),
 ("Il suo codice fiscale: per favore mandacelo via email.", {"national_id"}),
 ("Uw BSN: stuur ons dat graag per mail.", {"national_id"}),
 ("O seu NIF: envie-nos por favor por e-mail.", {"national_id"}),
 ("We won't ever ask for your password, but please reply with your IBAN.", {"bank_account"}),
 ("Votre code PIN ne nous intéresse pas, mais envoyez-nous votre RIB par mail.", {"bank_account"}),
 ("Ihr Passwort brauchen wir nicht, aber senden Sie uns bitte Ihre Steuer-ID.", {"national_id"}),
 ("No necesitamos su PIN, pero envíenos por correo su IBAN.", {"bank_account"}),
 ("Il PIN non ci serve, ma ci invii per email il suo IBAN.", {"bank_account"}),
 ("Uw wachtwoord hebben we niet nodig, maar stuur ons wel uw rekeningnummer.", {"bank_account"}),
 ("Não precisamos da sua senha, mas envie-nos o seu IBAN por e-mail.", {"bank_account"}),
 ("Please send: 1. a scan of your passport 2. your IBAN", {"passport", "bank_account"}),
 ("Bitte an hr@firma.example: 1. Kopie des Reisepasses 2. Steuer-ID", {"passport", "national_id"}),
 ("Take a photo of your driving licence and email it to bookings@cars.example.", {"drivers_licence"}),
 ("Prenez votre permis de conduire en photo et envoyez-le à location@voitures.example.", {"drivers_licence"}),
 ("Deve essere inviata una copia del passaporto a visti@agenzia.example.", {"passport"}),
 ("Debe enviarse una copia del pasaporte a visados@agencia.example.", {"passport"}),
 ("Deve ser enviada uma cópia do passaporte para vistos@agencia.example.", {"passport"}),
 ("Er moet een kopie van uw paspoort naar visum@bureau.example worden gestuurd.", {"passport"}),
 ("Reply with the three digits on the back of your card to stop the payment.", {"card_number"}),
 ("Antworten Sie mit den drei Ziffern auf der Rückseite Ihrer Karte.", {"card_number"}),
 ("Could you scan your ID card and attach it to your reply?", {"id_document"}),
 ("Wären Sie so nett, uns Ihre IBAN per E-Mail mitzuteilen?", {"bank_account"}),
 ("Le importaría mandarnos su número de cuenta por correo?", {"bank_account"}),
 ("Mi gireresti il tuo IBAN per mail?", {"bank_account"}),
 ("Me manda seu CPF por e-mail?", {"national_id"}),
 ("Your numéro AVS nous serait utile: pouvez-vous nous l'envoyer?", {"national_id"}),
]

CLASS_NEGATIVES = [

 "We will never ask for your PIN, and we will never ask for your password.",
 "Your IBAN: FR76 3000 6000 0112 3456 7890 189.",
 "Password: never share it with anyone.",
 "Your card: it has been sent to you and will arrive soon.",
 "Votre code : ne le communiquez jamais, même à nos conseillers.",
 "Please upload your passport in the app rather than by email.",
 "Vous pouvez déposer votre pièce d'identité dans l'espace client ; inutile de nous l'envoyer par e-mail.",
 "We received your passport and will send it back to you and your family.",
 "Your passport will be returned and sent to your address.",
 "Please send: 1. the signed contract 2. your CV",
 "Ohne Termin können wir Ihren Ausweis nicht verlängern.",
 "Your code is below; it will expire in 10 minutes and send no reply.",
 "Do not send your passport, but please send the signed contract.",
 "Kindly refrain from emailing us your card number.",
 "Nessuno dei nostri operatori le chiederà il PIN.",
 "Le enviaremos su nueva tarjeta y le mandaremos el PIN por separado.",
 "Wij sturen uw nieuwe pas en de pincode wordt apart gestuurd.",
 "Your new card has been posted and we will text you the PIN.",
]


@pytest.mark.parametrize("text, expected", CLASS_POSITIVES)
def test_phrasing_classes_positive(text, expected):
    assert find_requests(text) == expected
    assert _rules(text) == _ref_find_requests(text)


@pytest.mark.parametrize("text", CLASS_NEGATIVES)
def test_phrasing_classes_negative(text):
    assert find_requests(text) == frozenset()
    assert _ref_find_requests(text) == frozenset()


def test_list_numbers_do_not_end_sentences():
    from detectors import sensitive as s

    t = "please send: 1. a copy of your id card 2. your iban"
    assert s._BOUNDARY.search(t) is None
    assert s._BOUNDARY.search("we need it. send") is not None


def test_contrast_clause_scopes_negation():
    from detectors import sensitive as s

    view = s._negation_view("we will never ask for your pin, but please reply with your ", "iban", False)
    assert not s._negated(view)
    assert s._negated(s._negation_view("please reply with your iban, but never your ", "pin", False))


CLASS_POSITIVES_2 = [

 ("Il manque à votre dossier : une copie de votre passeport.", {"passport"}),
 ("In Ihrer Akte fehlt noch: eine Kopie Ihres Reisepasses.", {"passport"}),
 ("Falta en su expediente: una copia de su pasaporte.", {"passport"}),
 ("Manca nella sua pratica: una copia del passaporto.", {"passport"}),
 ("Ontbreekt in uw dossier: een kopie van uw paspoort.", {"passport"}),
 ("Falta no seu processo: uma cópia do passaporte.", {"passport"}),
 ("Merci de compléter et de renvoyer par mail :\nNom : ____\nIBAN : ____", {"bank_account"}),
 ("Bitte ausfüllen und per Mail zurücksenden:\nName: ____\nIBAN: ____", {"bank_account"}),
 ("Rellene y devuelva por correo:\nNombre: ____\nIBAN: ____", {"bank_account"}),
 ("Vul in en stuur terug per mail:\nNaam: ____\nIBAN: ____", {"bank_account"}),
 ("Preencha e devolva por e-mail:\nNome: ____\nNIF: ____", {"national_id"}),
 ("You will need to forward us the code you received by text.", {"password"}),
 ("Vous devrez nous transmettre le code reçu par SMS.", {"password"}),
 ("Sie müssen uns den per SMS erhaltenen Code per Mail senden.", {"password"}),
 ("Deberá enviarnos por correo el código que recibió por SMS.", {"password"}),
 ("Dovrà inviarci via email il codice ricevuto per SMS.", {"password"}),
 ("U moet ons de code die u per sms hebt ontvangen per mail sturen.", {"password"}),
 ("Terá de nos enviar por e-mail o código que recebeu por SMS.", {"password"}),
 ("If you email us a copy of your passport, we can finish the booking.", {"passport"}),
 ("Si vous nous envoyez une copie de votre passeport, nous pourrons finaliser.", {"passport"}),
 ("Wenn Sie uns eine Kopie Ihres Reisepasses schicken, können wir abschließen.", {"passport"}),
 ("Si nos envía una copia de su pasaporte, podremos terminar la reserva.", {"passport"}),
 ("Se ci invia una copia del passaporto, possiamo completare la prenotazione.", {"passport"}),
 ("Als u ons een kopie van uw paspoort mailt, kunnen we de boeking afronden.", {"passport"}),
 ("Se nos enviar uma cópia do passaporte, podemos concluir a reserva.", {"passport"}),
 ("pls send ur passport copy asap", {"passport"}),
 ("envoie moi ton rib stp", {"bank_account"}),
 ("schick mir mal deine IBAN", {"bank_account"}),
 ("mandame tu cbu porfa", {"bank_account"}),
 ("mandami il tuo iban pls", {"bank_account"}),
 ("stuur je rekeningnummer even", {"bank_account"}),
 ("manda teu pix e cpf", {"national_id"}),
 ("Please provide your account number and sort code.", {"bank_account"}),
 ("Bitte nennen Sie uns Ihre Kontonummer.", {"bank_account"}),
 ("Indique-nos o número da sua conta.", {"bank_account"}),
 ("Ci comunichi il numero del suo conto.", {"bank_account"}),
 ("Bitte senden Sie uns eine Kopie Ihrer Aufenthaltskarte und Ihres Dienstausweises.", {"id_document"}),
 ("Stuur ons een kopie van uw vreemdelingenpaspoort.", {"passport"}),
]

CLASS_NEGATIVES_2 = [

 "We will check your passport at the desk and send you a boarding pass.",
 "If you have questions about your IBAN, write to help@bank.example.",
 "Your new card and PIN will be sent to you separately, but you can already use Apple Pay.",
 "Votre carte a été envoyée, mais votre code PIN vous sera envoyé par courrier séparé.",
 "Ihre neue Karte ist unterwegs, aber die PIN kommt per Post.",
 "Su tarjeta ya está activa, pero nunca comparta su PIN con nadie.",
 "La sua carta è stata spedita e il PIN arriverà per posta.",
 "Uw nieuwe pas is verstuurd en de pincode volgt per post.",
 "O seu cartão foi enviado e o PIN será enviado por correio.",
 "Your passport: it will be returned by courier next week.",
 "Votre passeport : il sera disponible au guichet vendredi.",
 "Ihr Reisepass: er liegt ab Freitag zur Abholung bereit.",
 "Password: at least 8 characters, one number and one symbol.",
 "Mot de passe : 8 caractères minimum.",
 "IBAN: see the attached invoice for our bank details.",
 "Please send: 1. the signed lease 2. a recent payslip 3. a reference letter.",
 "Your ID card is valid until 2030, but please send us the signed contract.",
 "We never ask for your password, but we may call you to confirm an order.",
 "Our IBAN is shown on the invoice, and please send the payment by Friday.",
 "To pay, use our IBAN DE89 3704 0044 0532 0130 00 and send the remittance advice to ar@firm.example.",
 "Votre IBAN nous est transmis automatiquement par votre banque.",
 "Uw rijbewijs wordt binnen vijf dagen naar uw adres gestuurd.",
 "Il tuo passaporto deve essere inviato dall'ufficio entro lunedì? No, lo ritiri allo sportello.",
 "Send it to us by Friday: the signed contract and your CV.",
 "The code on your screen: never read it out to anyone who calls you.",
]


@pytest.mark.parametrize("text, expected", CLASS_POSITIVES_2)
def test_phrasing_classes_positive_more(text, expected):
    assert find_requests(text) == expected
    assert _rules(text) == _ref_find_requests(text)


@pytest.mark.parametrize("text", CLASS_NEGATIVES_2)
def test_phrasing_classes_negative_more(text):
    assert find_requests(text) == frozenset()
    assert _ref_find_requests(text) == frozenset()


def test_pair_anchors_need_another_anchor():
    """"account number" / "numero de compte" count only in a text with another anchor word."""
    from detectors import sensitive as s

    assert s._PAIR_ANCHOR_BYTES.isdisjoint(s._ANCHOR_BYTES)
    assert find_requests("You can follow the parcel from your account page at any time.") == frozenset()
    assert find_requests("Please send your bank name and account number.") == {"bank_account"}
    assert find_requests("Merci de nous indiquer votre numéro de compte et votre RIB.") == {"bank_account"}
    assert find_requests("Please reply with your customer account number and your passport.") == {"passport"}
    for text in ["Please send your bank name and account number.", "Please reply with your account number."]:
        assert _rules(text) == _ref_find_requests(text)


# Classes from full, realistic mails (dev3): purpose / reason clauses whose own
# negation does not negate the request, credentials entered "by entering" them at a
# link, Dutch "te" infinitives and German "vorzulegen", "both" / plural pronouns in a
# follow-up sentence, the code sent to the reader asked back, "the number of your new
# card", "Instead," / mail refused / "don't reply with" as turns away from mail.
CLASS_POSITIVES_3 = [
    ("So that no data is lost, please reply with your username and password.", {"password"}),
    ("Pour ne pas perdre vos messages, merci de nous envoyer votre mot de passe.", {"password"}),
    ("Damit keine Daten verloren gehen, antworten Sie bitte mit Ihrem Passwort.", {"password"}),
    ("Da kein Lastschriftmandat mehr besteht, senden Sie uns bitte Ihre IBAN per E-Mail.", {"bank_account"}),
    ("N'ayant plus de mandat de prélèvement, merci de nous faire parvenir votre IBAN par mail.", {"bank_account"}),
    ("Como ya no tenemos domiciliación, envíenos su IBAN por correo.", {"bank_account"}),
    ("Poiché non c'è più un mandato, ci invii il suo IBAN via e-mail.", {"bank_account"}),
    ("Omdat er geen incasso meer loopt, stuur ons uw IBAN per e-mail.", {"bank_account"}),
    ("Como já não há débito direto, envie-nos o seu IBAN por e-mail.", {"bank_account"}),
    ("Verify your account by entering your password at http://mail-upgrade.example/login.", {"password"}),
    ("Validez votre compte en saisissant votre mot de passe sur http://webmail.example/connexion.", {"password"}),
    ("Valide su cuenta introduciendo su contraseña en http://webmail.example/acceso.", {"password"}),
    ("Convalidi il suo account inserendo la password su http://webmail.example/accesso.", {"password"}),
    ("Valide sua conta digitando sua senha em http://webmail.example/acesso.", {"password"}),
    ("Bevestig uw account door uw wachtwoord in te voeren op http://webmail.example/login.", {"password"}),
    ("Bestätigen Sie Ihr Konto durch Eingabe Ihres Passworts unter http://webmail.example/login.", {"password"}),
    ("U bent verplicht een kopie van de voor- en achterkant van uw rijbewijs aan te leveren.", {"drivers_licence"}),
    ("Sie sind verpflichtet, uns eine Kopie Ihres Führerscheins vorzulegen.", {"drivers_licence"}),
    ("La dirección pide una copia del carnet de conducir y del DNI. Adjúntalos en tu respuesta.",
     {"id_document", "drivers_licence"}),
    ("La direzione chiede una copia della patente e della carta d'identità. Allegale alla tua risposta.",
     {"id_document", "drivers_licence"}),
    ("De directie vraagt een kopie van uw rijbewijs en ID-kaart. Stuur beide als bijlage mee.",
     {"id_document", "drivers_licence"}),
    ("A diretoria pede uma cópia da CNH e do RG. Manda os dois anexados na resposta.",
     {"id_document", "drivers_licence"}),
    ("I've just texted a verification code to your mobile - could you send that code back to me by email?",
     {"password"}),
    ("Je viens de vous envoyer un code de vérification par SMS. Pourriez-vous me le retransmettre par mail ?",
     {"password"}),
    ("Le ho appena inviato un codice di verifica via SMS. Potrebbe inoltrarmelo per e-mail?", {"password"}),
    ("Heb ik u een verificatiecode per sms gestuurd. Kunt u die code per e-mail aan mij doorsturen?", {"password"}),
    ("Acabei de lhe enviar um código de verificação por SMS. Pode reencaminhar-mo por e-mail?", {"password"}),
    ("Responde con el número de tu nueva tarjeta y su fecha de vencimiento.", {"card_number"}),
    ("Rispondi con il numero della nuova carta e la data di scadenza.", {"card_number"}),
    ("É só responder com o número do novo cartão e a data de validade.", {"card_number"}),
    ("¿Podrías indicarnos en tu respuesta el número de tu tarjeta y el CVV?", {"card_number"}),
    ("To complete verification, email a selfie of yourself holding your ID card to kyc@vault.example.", {"id_document"}),
    ("Bewerber müssen ihre Passnummer per E-Mail an das International Office übermitteln.", {"passport"}),
    ("As HMRC requires your UTR for the filing, please send it to us by reply.", {"national_id"}),
    ("Comme l'administration exige votre numéro fiscal, merci de bien vouloir nous le communiquer par retour.",
     {"national_id"}),
    ("Como la Agencia Tributaria exige el NIE del titular, le agradeceríamos que nos lo indicara en su respuesta.",
     {"national_id"}),
    ("Da das Finanzamt Ihre Steuer-ID verlangt, senden Sie sie uns bitte per E-Mail.", {"national_id"}),
    ("PS: Vergeet niet ons per e-mail een scan van de fotopagina van elk paspoort te sturen.", {"passport"}),
    ("Vergessen Sie nicht, uns eine Kopie Ihres Reisepasses per E-Mail zu senden.", {"passport"}),
    ("Wij zijn verplicht het BSN van uw kind te registreren. Gelieve dit nummer vóór donderdag per mail aan ons "
     "te bezorgen.", {"national_id"}),
]
CLASS_NEGATIVES_3 = [
    "After entering your password at https://bank.example you will see your statement.",
    "Pour ne pas perdre vos données, ne communiquez jamais votre mot de passe.",
    "Damit Ihr Konto sicher bleibt, geben Sie Ihr Passwort niemals weiter.",
    "Since we never ask for your password, ignore emails asking for it.",
    "Om fraude te voorkomen, deel nooit uw pincode.",
    "U hoeft uw wachtwoord nooit in te voeren op een website buiten onze app.",
    "Vergeet niet uw paspoort mee te nemen naar de balie.",
    "Bring both your passport and your driving licence to the counter.",
    "Your new card has been sent. Su nueva tarjeta ya ha sido enviada.",
    "Please upload your passport through our secure candidate portal - email attachments cannot be accepted.",
    "Please don't reply with your bank details. Instead, log in to My Policy at www.insure.example and enter "
    "your account number under Payment Details.",
    "Ne répondez pas avec votre RIB : connectez-vous à votre espace assuré sur www.mutuelle.example et saisissez "
    "vos coordonnées bancaires.",
    "Veuillez saisir votre IBAN dans l'espace propriétaire sur www.immo.example. Nous n'acceptons pas les RIB "
    "transmis par e-mail.",
    "We vragen u niet te antwoorden met uw rekeningnummer, maar in te loggen op Mijn Polis via www.verz.example "
    "en daar uw IBAN in te vullen.",
    "We have texted a verification code to your mobile. Enter it in the app to continue.",
    "Please bring your passport to our office.",
    "Your PIN is personal: never send it to us.",
    "We have your IBAN on file and will send it to you.",
    "Votre RIB figure sur la facture, nous vous le communiquerons.",
    "Como ya tenemos su NIE, no es necesario que nos lo indique.",
    "We will never ask you to email a selfie with your passport.",
    "Stuur uw pincode niet per e-mail.",
    "Senden Sie uns Ihre PIN nicht per E-Mail.",
    "Vergeet niet: stuur nooit uw pincode per mail.",
]


@pytest.mark.parametrize("text, expected", CLASS_POSITIVES_3)
def test_phrasing_classes_positive_full_mails(text, expected):
    assert find_requests(text) == expected
    assert _rules(text) == _ref_find_requests(text)


@pytest.mark.parametrize("text", CLASS_NEGATIVES_3)
def test_phrasing_classes_negative_full_mails(text):
    assert find_requests(text) == frozenset()
    assert _ref_find_requests(text) == frozenset()


# ------------------------------------------- learned scorer
#
# find_requests = the rules, corrected per category by the logistic-regression
# scorer of detectors/data/sensitive_model.json (scripts/train_sensitive.py): a
# category the rules find is dropped when the scorer gives it p < veto, one they
# miss is added when p > rescue, unless a text-level veto of the rules (the
# sender's own data, a value, the secure channel, ...) rejected it.


def _toy_model(bias, veto=0.2, rescue=0.9):
    return sensitive_module._load_model_dict({"veto": veto, "rescue": rescue, "weights": {"bias": bias}})


def test_the_shipped_model_is_loaded():
    import json

    m = sensitive_module._MODEL
    assert m is not None and len(m["weights"]) > 1000
    with open(sensitive_module._MODEL_FILE, encoding="utf-8") as f:
        stored = json.load(f)
    assert {"dev.jsonl", "dev2.jsonl", "dev3.jsonl", "dev4.jsonl", "dev5.jsonl", "dev6.jsonl", "dev7.jsonl", "dev8.jsonl", "dev9.jsonl"} <= set(stored["trained_on"])
    assert "heldout.jsonl" not in stored["trained_on"]
    assert 0 < stored["veto"] < 0.5 < stored["rescue"] < 1


def test_scorer_rescues_a_request_the_rules_miss():
    text = "Your passport, as discussed on the phone."
    assert _rules(text) == frozenset()
    assert sensitive_module._find_requests(text, _toy_model(6.0)) == {"passport"}
    assert sensitive_module._find_requests(text, _toy_model(1.0)) == frozenset()  # p = 0.73 < rescue


def test_scorer_vetoes_a_request_it_is_sure_is_none():
    text = "Please send us a copy of your passport."
    assert _rules(text) == {"passport"}
    assert sensitive_module._find_requests(text, _toy_model(-6.0)) == frozenset()
    assert sensitive_module._find_requests(text, _toy_model(-1.0)) == {"passport"}  # p = 0.27 > veto


def test_scorer_does_not_overrule_a_text_level_veto():
    # the sender's own bank details: a late (text-level) veto of the rules
    text = "Please send the payment to our IBAN FR76 3000 6000 0112 3456 7890 189."
    ctx = {}
    assert sensitive_module._requests_in(normalise(text), ctx) == frozenset()
    assert "bank_account" in ctx["vetoed"]["late"]
    assert sensitive_module._find_requests(text, _toy_model(8.0)) == frozenset()


def test_scorer_without_a_model_is_the_rules():
    for text in ("Please send us a copy of your passport.", "Your passport, as discussed on the phone.",
                 "We will never ask for your password."):
        assert sensitive_module._find_requests(text, None) == _rules(text)


def test_scorer_features_are_deterministic_and_ordered():
    t = normalise("Bonjour, merci de nous envoyer votre RIB et une copie de votre passeport par mail. "
                  "Voir https://example.fr ou ecrire a rh@example.fr, 2 pieces.")
    local, mail = sensitive_module._model_features(t)
    assert list(local) == ["passport", "bank_account"]  # CATEGORIES order
    assert local == sensitive_module._model_features(t)[0]
    assert "m:<url>" in mail and "m:<at>" in mail and "m:<d>" in mail
    assert all(len(set(f)) == len(f) for f in local.values())
    assert sensitive_module._model_features(normalise("Thanks for your order.")) == ({}, [])


def test_find_requests_is_the_same_under_any_hash_seed():
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent
    data = root / "tests" / "data" / "sensitive" / "dev3.jsonl"
    if not data.exists():
        pytest.skip("dev3.jsonl absent")
    code = (
        "import json,sys;from detectors.sensitive import find_requests as f;"
        f"rows=[json.loads(l) for l in open({str(data)!r},encoding='utf-8') if l.strip()];"
        "print(json.dumps([sorted(f(r['text'])) for r in rows]))"
    )
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                                check=True).stdout)
    assert len(outs) == 1
    assert json.loads(outs.pop())


def test_the_shipped_model_is_what_the_training_script_writes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent
    data = root / "tests" / "data" / "sensitive"
    dev_sets = ("dev.jsonl", "dev2.jsonl", "dev3.jsonl", "dev4.jsonl", "dev5.jsonl", "dev6.jsonl", "dev7.jsonl", "dev8.jsonl", "dev9.jsonl")
    if not all((data / n).exists() for n in dev_sets):
        pytest.skip("the labelled dev sets are not checked out")
    out = tmp_path / "model.json"
    subprocess.run([sys.executable, str(root / "scripts" / "train_sensitive.py"), "--out", str(out)], cwd=root,
                   check=True, capture_output=True)
    assert out.read_bytes() == sensitive_module._MODEL_FILE.read_bytes(), (
        "detectors/data/sensitive_model.json is out of date: run scripts/train_sensitive.py")


# ------------------------------------------- generalisation (issue 9)
#
# Generic knowledge of each language, not the phrasing of any one mail:
# colloquial, abbreviated, regional and misspelt names of the nouns; the
# negation of a consequence clause ("..., otherwise we cannot ...") is not the
# request's; elliptic requests of short mail ("bitte die IBAN per Mail");
# informal negation without apostrophe; German colloquial "ne" (= eine).
# These lists are not training data of the scorer (scripts/train_sensitive.py
# reads only the lists it names), so the rules alone are asserted.

GENERIC_POSITIVES = [
    ("Hallo, bitte noch ein Foto vom Perso per Mail schicken.", {"id_document"}),
    ("Grüezi, senden Sie uns bitte eine Kopie Ihres Führerausweises per Mail.", {"drivers_licence"}),
    ("Che, mandame una foto del registro de conducir así te anoto en el seguro.", {"drivers_licence"}),
    ("Allo! Peux-tu m'envoyer ton NAS par courriel pour la paie?", {"national_id"}),
    ("Could you email me your PPS number before Friday?", {"national_id"}),
    ("Please send me your TFN and BSB so payroll can pay you.", {"national_id", "bank_account"}),
    ("Kindly share your Aadhaar number by reply mail.", {"national_id"}),
    ("Ciao, mi serve il tuo CF per il contratto, mandamelo per mail.", {"national_id"}),
    ("Le pedimos que nos responda indicando su RUT.", {"national_id"}),
    ("pls send a pic of ur pasport asap", {"passport"}),
    ("Mandame tu usuario y clave del home banking.", {"password"}),
    ("Stuur ons een scan van de paspoortpagina met foto.", {"passport"}),
    ("Bitte antworten Sie mit Ihrer Steuer-ID, sonst kann die Lohnabrechnung nicht erstellt werden.", {"national_id"}),
    ("Mail me even je burgerservicenummer, anders kan ik je niet aanmelden.", {"national_id"}),
    ("Please reply with your passport number, otherwise we cannot book the flight.", {"passport"}),
    ("Hallo, bitte die Kreditkartendaten (Nummer, gültig bis, CVC) per Mail für die Reservierung.", {"card_number"}),
    ("Graag uw IBAN per mail.", {"bank_account"}),
    ("Schick mir bitte noch ne Kopie vom Ausweis, dann mache ich den Vertrag fertig.", {"id_document"}),
    ("Olá, recebeste um código do MB WAY? Manda-mo por email.", {"password"}),
]

GENERIC_NEGATIVES = [
    "Plz dont email me ur bank details, I'll get them from accounts.",
    "Please note that your passport by email is not accepted.",
    "Necesitamos una fotocopia de su tarjeta de residencia para tramitar el contrato, no de su tarjeta bancaria.",
    "Ne nous envoyez pas votre passeport par mail.",
    "Please do not send your passport, otherwise we would have to delete it.",
    "El pan del desayuno está incluido.",
]


@pytest.mark.parametrize("text,expected", GENERIC_POSITIVES)
def test_generic_positives(text, expected):
    assert _rules(text) == frozenset(expected)
    assert _rules(text) == _ref_find_requests(text)


@pytest.mark.parametrize("text", GENERIC_NEGATIVES)
def test_generic_negatives(text):
    assert _rules(text) == frozenset()
    assert _ref_find_requests(text) == frozenset()
    assert find_requests(text) == frozenset()


def test_the_scorer_does_not_overrule_a_negation_veto():
    # the rules veto a negated request; a confident scorer may not add it back
    text = "Please do not reply to this email with your card number."
    ctx = {}
    assert sensitive_module._requests_in(normalise(text), ctx) == frozenset()
    assert "card_number" in ctx["vetoed"]["negation"]
    assert sensitive_module._find_requests(text, _toy_model(8.0)) == frozenset()


def test_score_one_uses_the_categories_the_caller_already_found(monkeypatch):
    import detectors.sensitive as sensitive

    det = sensitive.SensitiveRequest()
    x = {"subject": "Verify your account", "body": "Please reply with a photo of your passport.",
         "automated": True, "volume": 20, "unrelated": 5}
    from_text = det.score_one(x)
    assert from_text > 0.5
    calls = []
    monkeypatch.setattr(sensitive, "find_requests", lambda text: calls.append(text) or frozenset())
    assert det.score_one({**x, "categories": frozenset({"passport"})}) == from_text
    assert det.score_one({**x, "categories": frozenset()}) == 0.0
    assert calls == []  # the text was not scanned again
    assert det.score_one(x) == 0.0 and len(calls) == 1  # without categories: scanned


# Verb-second "not yet received" (the noun first), the card's security code on its back and a code
# the reader received to be sent back, in the languages whose rules missed them (found on dev8).
VERB_SECOND_AND_CODES = [
    ("Uw rijksregisternummer hebben wij nog niet ontvangen. Wilt u het ons per e-mail bezorgen?", {"national_id"}),
    ("Ihre Steuer-ID haben wir noch nicht erhalten. Können Sie sie uns per E-Mail schicken?", {"national_id"}),
    ("De beveiligingscode op de achterkant van uw kaart ontbreekt nog. Kunt u die per antwoordmail aanvullen?",
     {"card_number"}),
    ("Der Sicherheitscode auf der Rückseite Ihrer Karte fehlt noch. Können Sie ihn uns per Antwortmail mitteilen?",
     {"card_number"}),
    ("Le code de sécurité au dos de votre carte manque encore. Pouvez-vous nous le communiquer par retour de mail ?",
     {"card_number"}),
    ("Manca ancora il codice di sicurezza sul retro della sua carta. Può inviarcelo rispondendo a questa email?",
     {"card_number"}),
    ("Stuur je me even de code terug die je net per sms kreeg?", {"password"}),
    ("Schick mir bitte den Code zurück, den du per SMS bekommen hast.", {"password"}),
    ("Peux-tu me renvoyer le code que tu viens de recevoir par SMS ?", {"password"}),
]
VERB_SECOND_AND_CODES_NEGATIVE = [
    "Uw rijksregisternummer hebben wij ontvangen, bedankt.",
    "Uw rijksregisternummer hebben wij nog niet ontvangen. Gelieve het niet per e-mail te sturen maar in de app te uploaden.",
    "Ne communiquez jamais le code de sécurité au dos de votre carte.",
    "Geben Sie den Sicherheitscode auf der Rückseite Ihrer Karte niemals weiter.",
    "Ne transmettez jamais le code que vous avez reçu par SMS.",
    "Gib den Code, den du per SMS bekommen hast, niemals weiter.",
]


@pytest.mark.parametrize("text, cats", VERB_SECOND_AND_CODES)
def test_verb_second_receipts_and_codes_to_send_back_are_requests(text, cats):
    assert find_requests(text) == cats


@pytest.mark.parametrize("text", VERB_SECOND_AND_CODES_NEGATIVE)
def test_the_same_nouns_received_or_never_to_be_shared_are_not(text):
    assert find_requests(text) == frozenset()


@pytest.mark.parametrize("text", [
    "Se ha rechazado un pago con su tarjeta de crédito Visa •••• 5366. Puede cambiar sus límites en la app.",
    "Your Visa card **** 1234 was charged 20.00 EUR at an online shop.",
    "Ihre Karte endet auf 1234 und läuft im Mai ab.",
    "Votre carte se terminant par 4821 a été débitée de 12,90 €.",
])
def test_a_card_named_by_its_last_digits_is_a_notice(text):
    """The learned scorer may not turn a notice about the reader's card (named by its last digits) into a request."""
    assert find_requests(text) == frozenset()


def test_a_request_next_to_a_card_ending_is_still_one():
    assert find_requests("Please reply with the full number of your card ending 1234.") == {"card_number"}


# ------------------------------------------- notices about the reader's own account
# The first full bank-world evaluation paged 473 times on account notices that the
# learned scorer read as requests: a transfer "from Seguridad Social", a card limit
# changed on "cuenta ES** **** 8799", a fees notice that says there is nothing to do.
# A toy scorer that adds every category it sees shows that each block below is what
# stops it (the same text without the notice's mark is rescued).

def _eager():
    return _toy_model(8.0)  # p > 0.999: adds every category the text names, unless blocked


@pytest.mark.parametrize("notice, plain", [
    ("Hemos registrado un cambio en su cuenta ES** **** 5215: se ha ajustado el límite de su tarjeta.",
     "Hemos registrado un cambio: se ha ajustado el límite de su tarjeta."),
    ("A change was made to your account ending in 4321: your card details were updated.",
     "A change was made: your card details were updated."),
    ("Für Ihr Konto DE** **** 1234 wurden Ihre Kartendaten aktualisiert.",
     "Für Sie wurden Ihre Kartendaten aktualisiert."),
    ("Sur votre compte FR76 **** **** 0042, le plafond de votre carte bancaire a été relevé.",
     "Le plafond de votre carte bancaire a été relevé."),
])
def test_a_card_in_a_notice_about_a_masked_account_is_not_rescued(notice, plain):
    assert "card_number" not in sensitive_module._find_requests(notice, _eager())
    assert "card_number" in sensitive_module._find_requests(plain, _eager())


@pytest.mark.parametrize("phrase", [
    "You don't need to do anything.", "There's nothing to do.", "No action is required.",
    "Sie müssen nichts weiter tun.", "No tiene que hacer nada.", "Vous n'avez rien à faire.",
    "Non deve fare nulla.", "U hoeft niets te doen.", "Não precisa de fazer nada.",
])
def test_a_notice_saying_there_is_nothing_to_do_is_not_rescued(phrase):
    base = "We are updating the terms for debit cards and the PIN letter."
    assert sensitive_module._find_requests(base, _eager())  # the eager scorer adds something ...
    assert sensitive_module._find_requests(f"{base} {phrase}", _eager()) == frozenset()  # ... but not here


def test_a_request_the_rules_find_stays_one_when_it_says_nothing_else_to_do():
    text = "Please reply to this email with a copy of your passport. You don't need to do anything else."
    assert find_requests(text) == {"passport"}


@pytest.mark.parametrize("text", [
    "Ha recibido un ingreso en su cuenta.\nOrdenante: Seguridad Social\nConcepto: Devolución",
    "Le remboursement de la Sécurité sociale a été versé sur votre compte.",
    "Recebeu uma transferência da Segurança Social.",
])
def test_the_social_security_institution_is_not_the_readers_number(text):
    assert sensitive_module._find_requests(text, _eager()) == frozenset()


@pytest.mark.parametrize("text", [
    "Por favor, envíenos su número de la Seguridad Social.",
    "Merci de nous envoyer votre numéro de sécurité sociale par mail.",
    "Envie-nos o seu número de Segurança Social por e-mail.",
])
def test_the_social_security_number_is_still_asked_for(text):
    assert find_requests(text) == {"national_id"}


@pytest.mark.parametrize("text", [
    "Final step: enter the 6-digit code we sent you by SMS on the following page to approve the transfer: "
    "http://approve-transfer.example",
    "Dernière étape : saisissez le code reçu par SMS sur la page suivante pour valider le virement : "
    "http://validation-virement.example",
    "Letzter Schritt: Geben Sie die per SMS erhaltene mTAN auf der folgenden Seite ein: http://freigabe.example",
    "Último paso: introduzca el código SMS que ha recibido en la siguiente página: http://autorizar.example",
])
def test_a_code_to_enter_on_the_following_page_is_asked_for(text):
    """"the following page" is where to enter it (like "the link below"), not a code given."""
    assert find_requests(text) == {"password"}


@pytest.mark.parametrize("text", [
    "Your code is 482913. Enter it on the following page to sign in.",
    "Enter the following code on the sign-in page: 482913",
    "Ihr Code lautet 482913. Geben Sie ihn auf der folgenden Seite ein.",
])
def test_a_code_the_sender_gives_stays_a_notice(text):
    assert find_requests(text) == frozenset()


@pytest.mark.parametrize("text, cats", [
    ("Ihr Postfach ist voll. Bestätigen Sie hier Ihr E-Mail-Passwort, um keine Nachrichten zu verlieren: "
     "http://webmail-check.example", {"password"}),
    ("Envoyez-nous votre RIB pour ne pas retarder le remboursement.", {"bank_account"}),
    ("Stuur uw IBAN om geen vertraging op te lopen.", {"bank_account"}),
    ("Please confirm your password at http://mail-check.example so as not to lose your messages.", {"password"}),
])
def test_a_negated_purpose_after_the_request_is_no_negation_of_it(text, cats):
    assert find_requests(text) == cats


@pytest.mark.parametrize("text", [
    "Never send your password by email, to avoid fraud.",
    "Bitte senden Sie uns Ihr Passwort niemals per E-Mail, um Betrug zu vermeiden.",
    "Ne communiquez jamais votre code, pour éviter toute fraude.",
])
def test_a_negated_request_with_a_purpose_stays_negated(text):
    assert find_requests(text) == frozenset()


@pytest.mark.parametrize("own, asked", [
    ("J'ai enfin refait mon permis de conduire, la photo est encore pire.",
     "Envoie-moi ton permis de conduire, la photo suffit."),
    ("Das Finanzamt hat mir endlich meine Steuernummer zugeteilt.",
     "Das Finanzamt braucht endlich deine Steuernummer."),
    ("Finally renewed my driving licence, the photo is even worse lol",
     "Finally: your driving licence, the photo please lol"),
])
def test_the_writers_own_document_is_not_rescued(own, asked):
    """The scorer adds no category the text names only as the writer's own ("my", "mon", "meine")."""
    assert sensitive_module._find_requests(own, _eager()) == frozenset()
    assert sensitive_module._find_requests(asked, _eager())


# ------------------------------------------- 2 December, third change (after heldout5)
# Generic corrections found by studying the retired fifth judge and dev10; each is a
# property of the text. The sentences below are written for these tests.

@pytest.mark.parametrize("text, cats", [
    # "we (still) don't have your X" says it is missing: a request, not a negation
    ("Payroll here: we still don't have your tax number. Could you reply with it by Friday?", {"national_id"}),
    # the restrictive "ne ... que" is no negation
    ("Il ne nous manque plus que votre RIB : merci de nous l'envoyer en réponse à ce mail.", {"bank_account"}),
    # Italian "mi" is "(to) me", not the Spanish possessive
    ("Mi mandi per favore le credenziali del conto aziendale? Devo pagare un fornitore.", {"password"}),
    # the numbers of the card, plural; a Belgian bank-card number; the code a card reader shows
    ("¿Me pasas los números de la tarjeta para terminar la reserva?", {"card_number"}),
    ("Vul via de link hieronder uw bankkaartnummer in om de betaling af te ronden.", {"card_number"}),
    ("Voer via de link de code in die uw kaartlezer nu toont.", {"password"}),
    # "by updating" the data at a link (phishing)
    ("Avoid the late fee by updating your card details at the link below.", {"card_number"}),
    # a question for the value, the noun its head
    ("Wat is de pincode van de bankapp? Ik wil even iets overmaken.", {"password"}),
    # German separable verb around the noun
    ("Bitte tragen Sie Ihre TAN in das Formular auf der verlinkten Seite ein.", {"password"}),
    # "write me" the data
    ("Schreib mir bitte deine IBAN, dann überweise ich dir das Geld.", {"bank_account"}),
    # an emoji ends the clause: the negation before it does not reach the request after it
    ("The transfer never arrived 😅 email me your IBAN and I'll send it again", {"bank_account"}),
])
def test_third_change_requests(text, cats):
    assert find_requests(text) == cats


@pytest.mark.parametrize("text", [
    "You don't have to send us your passport: we already have a copy.",
    "What is the password policy for new staff?",
    "Was ist die Steuer-ID und wo finde ich sie?",
    # a PIN typed in at a shop's terminal
    "Now and then the terminal in the shop will still ask for your PIN.",
    # a channel instead of mail, "instead" alone or "can't accept it by email"
    "Per favore, non inviarci il codice fiscale: caricalo invece nell'area riservata.",
    "Uw BSN kunnen we per e-mail niet aannemen; vul het in de app in.",
    # warnings about fake mails that ask for data
    "We krijgen meldingen over valse e-mails waarin om uw pincode wordt gevraagd.",
    # a negation before an emoji still covers its own clause
    "Never share your IBAN with strangers 😅",
])
def test_third_change_non_requests(text):
    assert find_requests(text) == frozenset()


@pytest.mark.parametrize("given, asked", [
    ("Ihnen wurde eine neue Steuer-ID zugeteilt; sie steht im Schreiben.",
     "Ihre neue Steuer-ID fehlt noch in der Akte."),
    ("Please find attached a copy of our director's passport.",
     "A copy of the director's passport, please."),
    ("Le è stato attribuito un codice fiscale provvisorio.",
     "Il codice fiscale provvisorio, per favore."),
    ("Did you know? Your social security number never changes.",
     "Your social security number, please, for the contract."),
    ("On the train someone stole my bag with the passport and the credit card.",
     "The passport and the credit card, please, before the trip."),
    ("Se me ha caducado el DNI y tengo que renovarlo.",
     "El DNI, por favor, antes del viaje."),
    ("Our webinar shows how to choose a strong password.",
     "Your password, please, for the webinar."),
    ("Utilisez la plateforme du bailleur plutôt que de nous envoyer votre pièce d'identité par e-mail.",
     "Votre pièce d'identité, s'il vous plaît, pour le dossier."),
])
def test_third_change_blocks_the_scorer(given, asked):
    """Texts that give, tell of losing, explain or point away from mail are not rescued by the
    scorer; the same nouns without those marks are (a toy scorer that adds every category)."""
    assert sensitive_module._find_requests(given, _eager()) == frozenset()
    assert sensitive_module._find_requests(asked, _eager())


def test_the_italian_participle_perso_is_no_id_card():
    text = "Ho perso la carta di credito in treno, la blocco subito."
    assert "id_document" not in sensitive_module._find_requests(text, _eager())
    assert "id_document" in sensitive_module._find_requests("Mi giri la foto del Perso?", _eager())


# ------------------------------------------- 2 December, fourth change (after heldout6)

@pytest.mark.parametrize("text, cats", [
    # a negated purpose after the request is no negation of it
    ("HR still needs your Social Security number so you don't miss the first payroll. Could you reply with it?",
     {"national_id"}),
    # Italian plural; "risulta mancante" (is missing)
    ("Per la pratica ci servono i codici fiscali dei figli: ce li mandi per email?", {"national_id"}),
    ("Dalla verifica risulta mancante la copia della carta d'identità: la invii a questo indirizzo.", {"id_document"}),
])
def test_fourth_change_requests(text, cats):
    assert find_requests(text) == cats


@pytest.mark.parametrize("text", [
    # es / pt imperatives of entering, negated
    "No ingrese su clave en enlaces que lleguen por correo.",
    "Não introduza os dados do seu cartão em páginas recebidas por SMS.",
    # stop sending it
    "Por favor, deixem de enviar cópias do cartão de cidadão dos clientes por e-mail.",
    "Please stop emailing passport copies to the front desk.",
    # a document shown when boarding
    "Une pièce d'identité vous sera demandée à l'embarquement.",
    # a non-identity document
    "Trae una copia del documento de requisitos a la reunión.",
])
def test_fourth_change_non_requests(text):
    assert find_requests(text) == frozenset()


@pytest.mark.parametrize("given, asked", [
    ("Da oggi puoi accedere ai servizi online con le tue credenziali.",
     "Le tue credenziali, per favore, per i servizi online."),
    ("Solo mostramos los últimos caracteres de su RFC (***04H7).",
     "Solo falta su RFC para el contrato."),
    ("Ya cargué en el sistema el RFC del nuevo proveedor.",
     "El RFC del nuevo proveedor, por favor."),
    ("A passport is required at boarding for every flight.",
     "A passport, please, for every traveller."),
])
def test_fourth_change_blocks_the_scorer(given, asked):
    assert sensitive_module._find_requests(given, _eager()) == frozenset()
    assert sensitive_module._find_requests(asked, _eager())


# ------------------------------------------- 2 December, fifth change (after heldout7)

@pytest.mark.parametrize("text, cats", [
    # a statement that one document no longer suffices or is no longer valid is no negation
    ("Pour le séjour, la carte d'identité ne suffit plus : merci de nous envoyer une copie de votre passeport.",
     {"passport"}),
    ("Merci de nous adresser en réponse un nouveau RIB, l'ancien n'étant plus valable.", {"bank_account"}),
    # "whoever has not yet ..." is a condition, its "keine" no negation of the request
    ("Wer noch keine Bankverbindung hinterlegt hat, schickt mir bitte eine Mail mit der IBAN.", {"bank_account"}),
    # plural of the German number family; the number on the new card; a code of six numbers
    ("Für die Steuererklärung fehlen mir noch die Identifikationsnummern der Kinder. Können Sie sie mir mailen?",
     {"national_id"}),
    ("Just reply with the long number on your new card and its expiry date.", {"card_number"}),
])
def test_fifth_change_requests(text, cats):
    assert find_requests(text) == cats


@pytest.mark.parametrize("text", [
    # a Dutch "Mijn ..." portal, a virtual branch, a website named by its domain, instead of mail
    "Wij hebben een kopie van uw identiteitsbewijs nodig. Wilt u deze niet mailen, maar uploaden via Mijn Loket?",
    "Necesitamos una foto de su cédula: cárguela en la Sucursal Virtual. No aceptamos documentos enviados por correo.",
    "We need your bank account number. Do not send it by email, but enter it via mypension.be.",
    # "ne ... rien par mail"
    "On a besoin d'une photo de ta pièce d'identité : tout se fait dans l'app. Ne nous envoie rien par mail.",
    # a document shown in person
    "El viernes lleva el DNI original a la notaría: el notario lo tiene que ver en persona.",
    "Na entrada será obrigatório apresentar um documento oficial com foto, como o RG.",
])
def test_fifth_change_non_requests(text):
    assert find_requests(text) == frozenset()


@pytest.mark.parametrize("given, asked", [
    ("Votre numéro fiscal figure en haut de la première page de l'avis.",
     "Votre numéro fiscal, s'il vous plaît, pour le dossier."),
    ("Auf der Abrechnung sind wie gewohnt auch Ihre Steuer-ID und Ihre Sozialversicherungsnummer aufgeführt.",
     "Ihre Steuer-ID und Ihre Sozialversicherungsnummer, bitte, für die Abrechnung."),
])
def test_fifth_change_blocks_the_scorer(given, asked):
    assert sensitive_module._find_requests(given, _eager()) == frozenset()
    assert sensitive_module._find_requests(asked, _eager())


def test_an_account_notice_with_masked_digits_is_not_rescued_but_its_changed_request_is_found():
    """A notice that names the reader's account by its masked digits: the scorer may not add
    bank_account (the bank world's account-update notices); the rules still find the changed
    template's request in the same frame."""
    notice = ("Ihre Kontodaten wurden aktualisiert\nSehr geehrte Frau Maier,\n\nwir bestätigen die folgende "
              "Änderung an Ihrem Konto DE** **** 3292:\n\nIhre E-Mail-Adresse wurde geändert.\n\nDie Änderung "
              "wurde am 13.03.2025 um 12:05 Uhr wirksam. Referenz: AU-250313-471782\n\nSie haben diese Änderung "
              "nicht veranlasst? Dann melden Sie sich bitte umgehend unter +49 69 1234 5000.\n\n"
              "Mit freundlichen Grüßen\nIhre NordBank")
    changed = ("Ihre Kontodaten\nfür Ihr Konto DE** **** 3292 benötigen wir eine Bestätigung Ihrer Identität.\n\n"
               "Bitte antworten Sie auf diese E-Mail mit einem Foto Ihres Reisepasses und Ihrer IBAN.")
    assert "bank_account" not in sensitive_module._find_requests(notice, _eager())
    assert find_requests(changed) == {"passport", "bank_account"}

"""Template keys: fill-ins map to the same key, different messages to different keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.templates import TemplateKeyer

ROOT = Path(__file__).resolve().parents[2]

K = TemplateKeyer()

ORDER_EN = (
    "Your order #{order} is confirmed",
    "Dear {name},\n\nThank you for your order #{order} placed on {date}. Total: {amount}.\n"
    "Delivery address:\n{address}\n\nTrack your parcel {tracking} at {url}\n"
    "Questions? Call us at {phone} or write to {email}.\nThe Example Store team",
)
ORDER_FR = (
    "Confirmation de votre commande n° {order}",
    "Bonjour {name},\n\nMerci pour votre commande n° {order} passée le {date}. Montant : {amount}.\n"
    "Adresse de livraison :\n{address}\n\nSuivez votre colis {tracking} ici : {url}\n"
    "Une question ? Appelez le {phone} ou écrivez à {email}.\nL'équipe Example Store",
)
SHIP_EN = (
    "{first}, your parcel is on its way",
    "Hi {first},\n\nGood news: your parcel {tracking} left our warehouse on {date} and should arrive "
    "by {date}. Follow it here: {url}\n\nThe Example Store team",
)
RESET_EN = (
    "Reset your Example password",
    "Hi {first},\n\nWe received a request to reset the password of your account ({email}) on {date}.\n"
    "Click the link to reset your password: {url}\nThis link expires in 24 hours.",
)
INVOICE_FR = (
    "Votre facture {order} – {month}",
    "Madame, Monsieur {name},\n\nVeuillez trouver ci-joint votre facture {order} d'un montant de {amount}, "
    "à régler avant le {date}. Paiement en ligne : {url}\n\nService facturation",
)

FILL_EN = [
    dict(order="12345", name="John Smith", first="John", date="24/08/2017", amount="€1,234.50",
         address="221B Baker Street\nLondon NW1 6XE", tracking="1Z999AA10123456784",
         url="https://track.example.com/p/1Z999AA10123456784?token=ab12cd34ef",
         phone="+1 (555) 010-2030", email="john.smith@example.org", month="August"),
    dict(order="EX-9876543", name="Mary-Jane O'Neil", first="Mary-Jane", date="August 24, 2017",
         amount="$12.00", address="12 Oak Avenue\nManchester M1 1AE", tracking="JJD0002249901",
         url="https://track.example.com/p/xYz?token=QWERTYuiop", phone="555-0100",
         email="mj@corp.example.com", month="March"),
    dict(order="7", name="Mr. van der Berg", first="Élodie", date="2017-08-24", amount="£99",
         address="1 Church Road\nDublin D02 X285", tracking="6A12345678901",
         url="http://t.co/a1", phone="+44 20 7946 0958", email="x@y.io", month="December"),
]
FILL_FR = [
    dict(order="12345", name="Jean Dupont", first="Jean", date="24/08/2017", amount="1 234,50 €",
         address="12 rue des Lilas\n75011 Paris", tracking="6A12345678901",
         url="https://suivi.example.fr/c?id=AbC123", phone="01 23 45 67 89",
         email="jean.dupont@example.fr", month="août"),
    dict(order="EX-1234567", name="Madame Lefèvre", first="Anne-Sophie", date="24 août 2017",
         amount="12,00 €", address="3 avenue Victor Hugo\n69003 Lyon", tracking="1Z999AA10123456784",
         url="https://suivi.example.fr/c?id=zz", phone="+33 6 12 34 56 78", email="a@b.fr", month="mars"),
    dict(order="99", name="M. Élodie Chloé Durand", first="Chloé", date="lundi 24 août", amount="€1,50",
         address="1 allée des Tilleuls\n13001 Marseille", tracking="JJD0002249901",
         url="www.example.fr/x", phone="0612345678", email="c.d@ex.fr", month="décembre"),
]


def _key(tpl: tuple[str, str], fill: dict) -> str:
    return K.key(tpl[0].format(**fill), tpl[1].format(**fill))


@pytest.mark.parametrize("tpl,fills", [
    (ORDER_EN, FILL_EN), (SHIP_EN, FILL_EN), (RESET_EN, FILL_EN),
    (ORDER_FR, FILL_FR), (INVOICE_FR, FILL_FR),
], ids=["order_en", "ship_en", "reset_en", "order_fr", "invoice_fr"])
def test_fill_in_variants_share_a_key(tpl, fills):
    keys = {_key(tpl, f) for f in fills}
    assert len(keys) == 1, [K.mask(tpl[1].format(**f)) for f in fills]


def test_different_templates_get_different_keys():
    keys = [_key(t, FILL_EN[0]) for t in (ORDER_EN, SHIP_EN, RESET_EN)]
    keys += [_key(t, FILL_FR[0]) for t in (ORDER_FR, INVOICE_FR)]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("a,b", [
    ("24/08/2017", "August 24, 2017"), ("24 août 2017", "2017-08-24"), ("lundi 24 août", "Monday, Aug 24, 2017"),
    ("€1,234.50", "1 234,50 €"), ("$12", "12.50 EUR"), ("+33 6 12 34 56 78", "555-0100"),
    ("https://x.example/t?tok=Ab12", "www.example.com/y"), ("a.b@example.org", "z@corp.example.co.uk"),
    ("1Z999AA10123456784", "6A12345678901"), ("14h30", "2:30 PM"),
])
def test_fill_ins_mask_alike(a, b):
    s = "Reminder: see {} for details, thanks."
    assert K.mask(s.format(a)) == K.mask(s.format(b))


@pytest.mark.parametrize("greeting", ["Dear {}", "Hi {}", "Hello {}", "Bonjour {}", "Cher {}", "Chère {}",
                                      "Madame {}", "Monsieur {}", "Bonjour Madame {}", "Dear Mr. {}"])
def test_greeting_names_are_masked(greeting):
    body = greeting + ",\nyour account has been updated.\nRegards"
    keys = {K.key("Account", body.format(n)) for n in ("John", "Anne-Sophie", "Élodie Durand", "O'Brien", "van der Berg")}
    assert len(keys) == 1


def test_subject_leading_name():
    assert K.key("Marie, votre colis arrive", "x") == K.key("Élodie, votre colis arrive", "x")


def test_different_sentences_differ():
    a = K.key("Hello", "Can we move the meeting to Tuesday? I have a conflict.")
    b = K.key("Hello", "Thanks for the update, I will look at the numbers tonight.")
    assert a != b
    assert K.key("Your order has shipped", "x") != K.key("Your order was delivered", "x")


def test_long_fill_in_does_not_shift_window():
    tpl = "Hi {},\n" + "Please read our terms and conditions carefully before you continue. " * 20
    assert K.key("s", tpl.format("Al")) == K.key("s", tpl.format("Bartholomew Alexander Fitzgerald-Montgomery"))
    def url(n: int) -> str:
        return "Click https://x.example/" + "a1" * n + " to confirm. " + "Other words follow here. " * 40

    assert K.key("s", url(5)) == K.key("s", url(400))


def test_body_beyond_window_is_ignored_and_truncation_safe():
    base = "Hello,\n" + "The quick brown fox jumps over the lazy dog. " * 30
    assert K.key("s", base + "tail one") == K.key("s", base + "completely different tail")
    assert K.key("s", base[:700]) == K.key("s", base[:900])


def test_key_format_and_determinism():
    k = K.key("Your order #1", "Hi John")
    assert k.startswith("t:") and len(k) == 18 and int(k[2:], 16) >= 0
    assert TemplateKeyer().key("Your order #1", "Hi John") == k
    assert TemplateKeyer(seed=1).key("Your order #1", "Hi John") != k


def test_settings_stored_under_their_names():
    k = TemplateKeyer(body_chars=123, seed=7, raw_margin=10, max_subject_chars=50, keep_sentence_starts=False)
    assert (k.body_chars, k.seed, k.raw_margin, k.max_subject_chars, k.keep_sentence_starts) == (123, 7, 10, 50, False)
    with pytest.raises(ValueError):
        TemplateKeyer(body_chars=-1)


def test_stable_across_processes():
    subject, body = "Confirmation de votre commande n° 4711", "Bonjour Chère Anne-Sophie, merci ! 1 234,50 € le 24 août 2017."
    code = (
        "import sys; from detectors.templates import TemplateKeyer; "
        f"sys.stdout.write(TemplateKeyer().key({subject!r}, {body!r}))"
    )
    for seed in ("0", "12345"):  # a different PYTHONHASHSEED must not matter
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                             env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout
        assert out == K.key(subject, body)


def test_known_key_is_frozen():
    # keys are stored in state and alerts: a change of algorithm must be deliberate
    # (bump _PERSON in detectors/templates.py and update this value).
    assert K.key("Your order #12345 has shipped", "Dear John Smith, your parcel left on August 24, 2017.") == \
        K.key("Your order #9 has shipped", "Dear Marie, your parcel left on 3 March 2018.")


def test_stateless_memory():
    k = TemplateKeyer()
    assert not hasattr(k, "__dict__")  # __slots__ only: nothing can grow per message
    before = tuple(getattr(k, s) for s in k.__slots__)
    for i in range(1000):
        k.key(f"s{i}", f"body {i} unique text {i * 7}")
    assert tuple(getattr(k, s) for s in k.__slots__) == before


@settings(max_examples=300, deadline=None)
@given(
    subject=st.one_of(st.none(), st.text(), st.binary(max_size=50), st.integers()),
    body=st.one_of(st.none(), st.text(max_size=2000), st.binary(max_size=200), st.floats()),
    body_chars=st.integers(0, 600),
)
def test_never_raises(subject, body, body_chars):
    k = TemplateKeyer(body_chars=body_chars)
    key = k.key(subject, body)
    assert isinstance(key, str) and key.startswith("t:") and len(key) == 18
    assert key == k.key(subject, body)
    assert isinstance(k.mask(body), str)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_surrogates_and_controls(text):
    assert K.key(text + "\x00\x01\x02\ud800", text).startswith("t:")

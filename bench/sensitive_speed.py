"""Speed of the sensitive-data request scan (detectors.sensitive.find_requests).

Prints microseconds per call on ~1 KB and ~2 KB English and French texts, with
and without a request. A text with no sensitive word stays on the fast path (a
word-set test); one with such words runs the rules and the learned scorer
(detectors/data/sensitive_model.json). Target: < 1 ms per 2 KB text (the scan
runs once per new template content, not per message).

    .venv/bin/python bench/sensitive_speed.py [--number N] [--repeat R]

The fastest of R runs of N calls is kept (the least disturbed by other load),
and a machine reference (``sum(range(1000))``) is printed alongside so that
figures from a loaded or slow machine can be put in proportion.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors.sensitive import find_requests  # noqa: E402

EN_FILLER = (
    "Thank you for shopping with us. Your order has been packed at our warehouse and will be handed "
    "to the carrier today. You can follow the parcel from your account page at any time, and you will "
    "receive a message when it is out for delivery. If anything is missing or damaged, our support "
    "team is available seven days a week and will be happy to help you with a return or an exchange. "
)
FR_FILLER = (
    "Merci pour votre commande. Votre colis a été préparé dans notre entrepôt et sera remis au "
    "transporteur aujourd'hui. Vous pouvez suivre son acheminement depuis votre espace client à tout "
    "moment, et vous recevrez un message lorsqu'il sera en cours de livraison. Si un article manque ou "
    "est endommagé, notre service client est disponible sept jours sur sept pour un retour ou un échange. "
)
EN_REQUEST = (
    "To verify your order, please reply to this email with a photo of your driver's license or passport. "
)
FR_REQUEST = (
    "Pour vérifier votre commande, merci de répondre à cet e-mail avec une photo de votre permis de "
    "conduire ou de votre passeport. "
)
EN_MENTION = "We will never ask for your password. Your card ending in 1234 was charged. "
FR_MENTION = "Nous ne vous demanderons jamais votre mot de passe. "


def kb(filler: str, insert: str = "", size: int = 1024) -> str:
    """About ``size`` characters (1 KB) of text with ``insert`` in the middle."""
    body = filler * (1 + size // len(filler))
    half = (size - len(insert)) // 2
    text = body[:half] + insert + body[half : size - len(insert)]
    return text[:size]


CASES = {
    "en_plain": (kb(EN_FILLER), frozenset()),
    "en_request": (kb(EN_FILLER, EN_REQUEST), frozenset({"drivers_licence", "passport"})),
    "en_mention": (kb(EN_FILLER, EN_MENTION), frozenset()),
    "fr_plain": (kb(FR_FILLER), frozenset()),
    "fr_request": (kb(FR_FILLER, FR_REQUEST), frozenset({"drivers_licence", "passport"})),
    "fr_mention": (kb(FR_FILLER, FR_MENTION), frozenset()),
    "en_plain2k": (kb(EN_FILLER, size=2048), frozenset()),
    "en_request2k": (kb(EN_FILLER, EN_REQUEST, 2048), frozenset({"drivers_licence", "passport"})),
    "en_mention2k": (kb(EN_FILLER, EN_MENTION, 2048), frozenset()),
    "fr_request2k": (kb(FR_FILLER, FR_REQUEST, 2048), frozenset({"drivers_licence", "passport"})),
    "fr_mention2k": (kb(FR_FILLER, FR_MENTION, 2048), frozenset()),
}
TARGET_US = 1000.0  # per 2 KB text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=100, help="calls per timing run (default 100)")
    ap.add_argument("--repeat", type=int, default=40, help="timing runs, the fastest is kept (default 40)")
    args = ap.parse_args(argv)
    def best_us(fn) -> float:
        return min(timeit.repeat(fn, number=args.number, repeat=args.repeat)) / args.number * 1e6

    ref = best_us(lambda: sum(range(1000)))
    print(f"machine reference: sum(range(1000)) = {ref:.1f} us (about 8-12 us on an idle recent x86 core)")
    worst = 0.0
    print(f"{'case':<12} {'chars':>6} {'us/call':>9} {'x ref':>6}  result")
    for name, (text, expected) in CASES.items():
        got = find_requests(text)
        if got != expected:
            print(f"{name}: unexpected result {sorted(got)} != {sorted(expected)}", file=sys.stderr)
            return 1
        us = best_us(lambda: find_requests(text))
        worst = max(worst, us)
        print(f"{name:<12} {len(text):>6} {us:>9.1f} {us / ref:>6.2f}  {','.join(sorted(got)) or '-'}")
    print(f"worst: {worst:.1f} us per text of up to 2 KB = {worst / ref:.2f} x reference "
          f"(target < {TARGET_US:.0f} us per 2 KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

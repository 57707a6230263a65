"""Template grouping: masking keyer vs drain3 vs MinHash-LSH, on labelled traffic.

Every event gets a group from subject + body only (``template_id`` is ignored),
and groups are compared with the TRUE template of each event (human free text
has a unique ``free:<event_id>`` template, so it should get a key of its own).

Measures
--------
pairwise precision
    of all pairs of events put in the same group, the share that truly share a
    template (1 - precision = how often different messages are merged).
pairwise recall
    of all pairs of events that truly share a template, the share put in the
    same group (1 - recall = how often one template is split).
keys/template
    mean number of distinct groups per true template that has >= 2 events
    (1.0 = every template maps to exactly one group).
free unique
    share of free-text (human) messages whose group holds no other message.
us/msg
    mean wall time per message of the grouping call (``key()`` for the keyer,
    ``add_log_message`` for drain3, query + insert for MinHash), best of the runs.
mem KiB
    memory retained by the method's state after the run (tracemalloc), i.e.
    what grows with traffic.

Usage::

    python bench/template_grouping.py                       # simulator if importable
    python bench/template_grouping.py --source builtin      # small built-in EN/FR corpus
    python bench/template_grouping.py --days 7 --scale 0.5 --methods keyer,drain,minhash

drain3 and datasketch are optional (``pip install -e '.[bench]'``); a method whose
library is missing is skipped.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from math import comb
from pathlib import Path
from typing import Callable, Iterable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.templates import TemplateKeyer  # noqa: E402

Message = tuple[str, str, str]  # (subject, body, true template)


# --------------------------------------------------------------------------- #
# labelled traffic
# --------------------------------------------------------------------------- #


def load_simulator(scenario: str, seed: int, days: float, scale: float) -> list[Message]:
    from detectors.sim.shop import simulate

    with tempfile.TemporaryDirectory() as tmp:
        simulate(scenario, seed, tmp, days=days, scale=scale)
        truth = {}
        with open(Path(tmp) / "truth.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                truth[row["event_id"]] = row["template"]
        import orjson

        out = []
        with open(Path(tmp) / "events.jsonl", "rb") as fh:
            for line in fh:
                ev = orjson.loads(line)
                out.append((ev.get("subject") or "", ev.get("body") or "", truth[ev["event_id"]]))
    return out


_FIRST = ["John", "Mary", "Jean-Pierre", "Marie", "Anne-Sophie", "Élodie", "Mohamed", "Li", "O'Neil", "Chloé"]
_LAST = ["Smith", "Dupont", "van der Berg", "Lefèvre", "Nguyen", "Martin", "O'Brien", "Garcia"]
_FR_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
_EN_MONTHS = "January February March April May June July August September October November December".split()
_STREETS_FR = ["rue des Lilas", "avenue Victor Hugo", "boulevard Voltaire", "rue de la République", "allée des Tilleuls"]
_STREETS_EN = ["Baker Street", "Main Street", "Oak Avenue", "Church Road", "Park Lane"]
_CITIES_FR = [("75011", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("44000", "Nantes")]
_CITIES_EN = [("NW1 6XE", "London"), ("M1 1AE", "Manchester"), ("10001", "New York, NY"), ("94105", "San Francisco, CA")]

_BUILTIN = {
    "order_en": ("Your order #{order} is confirmed",
                 "Dear {name},\n\nThank you for your order #{order} placed on {date}. Total: {amount}.\n"
                 "Delivery to:\n{address}\n\nTrack it at {url}\nQuestions? Call {phone} or write to {email}.\n"
                 "The Shop team"),
    "ship_en": ("{first}, your parcel is on its way",
                "Hi {first},\n\nYour parcel {tracking} left our warehouse on {date} and should arrive by {date2}. "
                "Follow it here: {url}\n\nThe Shop team"),
    "invoice_en": ("Invoice {invoice} for {month}",
                   "Hello {name},\n\nPlease find attached invoice {invoice} of {amount}, due on {date}. "
                   "Pay online at {url} before the due date to avoid late fees.\n\nBilling department"),
    "reset_en": ("Reset your password",
                 "Hi {first},\n\nWe received a request to reset the password of {email} on {date} at {time}. "
                 "Use this link within 24 hours: {url}\nIf it was not you, ignore this message."),
    "order_fr": ("Confirmation de votre commande n° {order}",
                 "Bonjour {name},\n\nMerci pour votre commande n° {order} du {date}. Montant : {amount}.\n"
                 "Livraison à :\n{address}\n\nSuivi : {url}\nUne question ? Appelez le {phone} ou écrivez à {email}.\n"
                 "L'équipe Boutique"),
    "ship_fr": ("{first}, votre colis est en route",
                "Bonjour {first},\n\nVotre colis {tracking} a quitté notre entrepôt le {date} et arrivera "
                "le {date2}. Suivez-le ici : {url}\n\nL'équipe Boutique"),
    "invoice_fr": ("Facture {invoice} – {month}",
                   "Madame, Monsieur {last},\n\nVeuillez trouver ci-joint la facture {invoice} d'un montant de {amount}, "
                   "à régler avant le {date}. Paiement en ligne : {url}\n\nService facturation"),
    "rdv_fr": ("Rappel : votre rendez-vous du {date}",
               "Chère {first},\n\nNous vous rappelons votre rendez-vous le {date} à {time} au {address}. "
               "Pour annuler, répondez à ce message ou appelez le {phone}."),
}
_HUMAN = [
    "can we move the meeting to {date}? I have a conflict with the budget review",
    "thanks for the update, I will look at the numbers tonight and come back to you",
    "je vous envoie le devis corrigé dès que possible, merci pour votre patience",
    "the client asked again about the delivery delay, could you check with logistics",
    "pouvez-vous me confirmer la date de livraison pour la commande {order} ?",
    "attached are the slides for tomorrow, feedback welcome before noon",
    "merci pour votre retour, nous en parlons lors de la réunion de lundi",
    "I think the contract draft is fine, only clause 7 needs a second look",
    "could you send me last quarter's figures for the north region please",
    "bonne nouvelle : le fournisseur accepte la remise de 5 % sur le volume",
]


def _fill(rng: random.Random, lang: str) -> dict:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice((2017, 2018, 2024))
    if lang == "fr":
        date = rng.choice((f"{day:02d}/{month:02d}/{year}", f"{day} {_FR_MONTHS[month - 1]} {year}",
                           f"lundi {day} {_FR_MONTHS[month - 1]}"))
        amount = f"{rng.uniform(5, 5000):,.2f} €".replace(",", " ").replace(".", ",")
        z, c = rng.choice(_CITIES_FR)
        address = f"{rng.randint(1, 200)} {rng.choice(_STREETS_FR)}\n{z} {c}"
        phone = rng.choice(("01 23 45 67 89", "+33 6 12 34 56 78", "0612345678"))
        name = rng.choice((f"{first} {last}", f"Madame {last}", f"M. {last}"))
    else:
        date = rng.choice((f"{_EN_MONTHS[month - 1]} {day}, {year}", f"{year}-{month:02d}-{day:02d}",
                           f"{day:02d}/{month:02d}/{year}"))
        amount = rng.choice(("€", "$", "£")) + f"{rng.uniform(5, 5000):,.2f}"
        z, c = rng.choice(_CITIES_EN)
        address = f"{rng.randint(1, 200)} {rng.choice(_STREETS_EN)}\n{c} {z}"
        phone = rng.choice(("+1 (555) 010-2030", "555-0100", "+44 20 7946 0958"))
        name = rng.choice((f"{first} {last}", f"Mr. {last}", first))
    token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(20))
    return {
        "first": first, "last": last, "name": name, "date": date, "date2": date, "amount": amount,
        "address": address, "phone": phone, "order": rng.choice((str(rng.randint(10000, 99999)), f"EX-{rng.randint(10**6, 10**7)}")),
        "invoice": f"F{year}-{rng.randint(1, 9999):04d}", "month": rng.choice(_EN_MONTHS if lang == "en" else _FR_MONTHS),
        "url": f"https://shop.example.com/t/{token}?utm_source=mail", "email": f"{first.lower()[:3]}.{rng.randint(1, 99)}@example.org",
        "tracking": rng.choice((f"1Z{token[:6].upper()}{rng.randint(10**9, 10**10)}", f"6A{rng.randint(10**10, 10**11)}")),
        "time": f"{rng.randint(8, 18)}h{rng.choice(('00', '30'))}" if lang == "fr" else f"{rng.randint(1, 12)}:{rng.choice(('00', '30'))} PM",
    }


def load_builtin(seed: int, n: int) -> list[Message]:
    rng = random.Random(seed)
    out: list[Message] = []
    names = list(_BUILTIN)
    for i in range(n):
        if rng.random() < 0.15:  # free text: 2-4 sentences, greeting, signature
            f = _fill(rng, "en")
            body = f"Hi {f['first']},\n\n" + " ".join(s.format(**f).capitalize() + "." for s in rng.sample(_HUMAN, rng.randint(2, 4)))
            body += f"\n\nBest,\n{rng.choice(_FIRST)}"
            out.append((rng.choice(("Re: meeting", "quick question", "Re: devis", "Figures")), body, f"free:{i}"))
            continue
        t = rng.choice(names)
        subj, body = _BUILTIN[t]
        f = _fill(rng, t[-2:])
        out.append((subj.format(**f), body.format(**f), t))
    return out


# --------------------------------------------------------------------------- #
# methods: each is a factory returning (group function, state object for memory)
# --------------------------------------------------------------------------- #


_FR_WORDS = frozenset("votre vous nous est pour une les des avec merci bonjour".split())


def _lang(subject: str, body: str) -> str:
    words = f"{subject} {body[:400]}".lower().split()
    return "fr" if sum(w in _FR_WORDS for w in words) >= 3 else "en"


def _window(subject: str, body: str, chars: int) -> str:
    return " ".join(f"{subject} | {body[:chars]}".split())


def method_keyer(**kw) -> tuple[Callable[[str, str], str], object]:
    k = TemplateKeyer(**kw)
    return k.key, k


def method_drain(chars: int = 300, premask: bool = False, sim_th: float = 0.4, max_clusters: int | None = 5000):
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    cfg = TemplateMinerConfig()
    cfg.drain_sim_th = sim_th
    cfg.drain_depth = 4
    cfg.drain_max_clusters = max_clusters
    cfg.parametrize_numeric_tokens = True
    if not premask:  # drain3's own regex masking, as its documentation suggests
        cfg.masking_instructions = [
            MaskingInstruction(r"(?:https?://|www\.)\S+", "URL"),
            MaskingInstruction(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", "EMAIL"),
            MaskingInstruction(r"\S*\d\S*", "NUM"),
        ]
    miner = TemplateMiner(config=cfg)
    keyer = TemplateKeyer(body_chars=chars)

    def group(subject: str, body: str) -> str:
        if premask:  # our masking, then drain's parse tree on top
            text = keyer.mask(subject) + " | " + keyer.mask(body[: chars + 150])[:chars]
        else:
            text = _window(subject, body, chars)
        return str(miner.add_log_message(text)["cluster_id"])

    return group, miner


def method_minhash(chars: int = 300, threshold: float = 0.6, num_perm: int = 64, premask: bool = False):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    keyer = TemplateKeyer(body_chars=chars)
    state = {"lsh": lsh, "n": 0}

    def group(subject: str, body: str) -> str:
        if premask:
            text = keyer.mask(subject) + " | " + keyer.mask(body[: chars + 150])[:chars]
        else:
            text = _window(subject, body, chars).lower()
        words = text.split()
        m = MinHash(num_perm=num_perm)
        m.update_batch([" ".join(words[i : i + 3]).encode() for i in range(max(1, len(words) - 2))])
        hits = lsh.query(m)
        if hits:
            return min(hits)
        state["n"] += 1
        key = f"m{state['n']:08d}"
        lsh.insert(key, m)
        return key

    return group, state


# --------------------------------------------------------------------------- #
# scoring
# --------------------------------------------------------------------------- #


def score(pred: list[str], truth: list[str]) -> dict:
    res = _score(pred, truth)
    return res


def _score(pred: list[str], truth: list[str]) -> dict:
    cells = Counter(zip(pred, truth))
    tp = sum(comb(c, 2) for c in cells.values())
    pp = sum(comb(c, 2) for c in Counter(pred).values())
    tt = sum(comb(c, 2) for c in Counter(truth).values())
    keys_per = defaultdict(set)
    for p, t in zip(pred, truth):
        keys_per[t].add(p)
    multi = [len(v) for t, v in keys_per.items() if not t.startswith("free:")]
    sizes = Counter(pred)
    free = [p for p, t in zip(pred, truth) if t.startswith("free:")]
    return {
        "precision": tp / pp if pp else 1.0,
        "recall": tp / tt if tt else 1.0,
        "keys_per_template": sum(multi) / len(multi) if multi else 0.0,
        "free_unique": sum(1 for p in free if sizes[p] == 1) / len(free) if free else 1.0,
        "groups": len(sizes),
    }


def run(name: str, factory: Callable[[], tuple[Callable[[str, str], str], object]], msgs: list[Message], repeats: int) -> dict:
    best = float("inf")
    pred: list[str] = []
    mem = 0
    for r in range(repeats):
        gc.collect()
        if r == 0:
            tracemalloc.start()
        group, state = factory()
        if r == 0:
            base = tracemalloc.get_traced_memory()[0]
        t0 = time.process_time()
        out = [group(s, b) for s, b, _ in msgs]
        dt = time.process_time() - t0
        if r == 0:
            gc.collect()
            mem = tracemalloc.get_traced_memory()[0] - base - sys.getsizeof(out) - sum(sys.getsizeof(x) for x in set(out))
            tracemalloc.stop()
        else:
            best = min(best, dt)
        pred = out
        del group, state
    if repeats == 1:
        best = dt
    res = score(pred, [t for _, _, t in msgs])
    res.update(name=name, us=best / len(msgs) * 1e6, mem_kib=max(0, mem) / 1024)
    return res


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    try:
        import detectors.sim.shop  # noqa: F401

        default_source = "simulator"
    except ImportError:
        default_source = "builtin"
    ap.add_argument("--source", choices=("simulator", "builtin"), default=default_source)
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=float, default=7)
    ap.add_argument("--scale", type=float, default=0.5)
    ap.add_argument("--n", type=int, default=5000, help="messages for --source builtin")
    ap.add_argument("--limit", type=int, default=0, help="keep only the first N messages (0 = all)")
    ap.add_argument("--methods", default="keyer,drain,minhash")
    ap.add_argument("--repeats", type=int, default=3, help="timing runs (the first also measures memory)")
    a = ap.parse_args(argv)

    msgs = load_simulator(a.scenario, a.seed, a.days, a.scale) if a.source == "simulator" else load_builtin(a.seed, a.n)
    if a.limit:
        msgs = msgs[: a.limit]
    # the simulator labels EN and FR versions of a template alike; they are different
    # texts, so the truth used here is (template, language), language guessed from words
    msgs = [(s, b, t if t.startswith("free:") else f"{t}/{_lang(s, b)}") for s, b, t in msgs]
    truth = Counter(t for _, _, t in msgs)
    nfree = sum(c for t, c in truth.items() if t.startswith("free:"))
    mean_len = sum(len(s) + len(b) for s, b, _ in msgs) / max(1, len(msgs))
    print(f"source={a.source} messages={len(msgs)} templates={len(truth) - nfree} free-text={nfree} "
          f"mean subject+body chars={mean_len:.0f}")

    # machine reference: this loop takes ~6-8 us on a current desktop CPU with CPython 3.11
    import timeit

    ref = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    print(f"reference: sum(range(1000)) = {ref:.1f} us on this machine")

    wanted = set(a.methods.split(","))
    methods: list[tuple[str, Callable]] = []
    if "keyer" in wanted:
        for bc in (200, 300, 500):
            methods.append((f"keyer body_chars={bc}", lambda bc=bc: method_keyer(body_chars=bc)))
        methods.append(("keyer body_chars=300 mask-all-capitals", lambda: method_keyer(body_chars=300, keep_sentence_starts=False)))
    if "drain" in wanted:
        try:
            import drain3  # noqa: F401

            methods.append(("drain3 own masking", lambda: method_drain(premask=False)))
            methods.append(("drain3 over keyer masking", lambda: method_drain(premask=True)))
        except ImportError:
            print("drain3 not installed: skipped")
    if "minhash" in wanted:
        try:
            import datasketch  # noqa: F401

            methods.append(("minhash-lsh raw 3-shingles t=0.6", lambda: method_minhash()))
            methods.append(("minhash-lsh masked 3-shingles t=0.6", lambda: method_minhash(premask=True)))
        except ImportError:
            print("datasketch not installed: skipped")

    print(f"{'method':40s} {'precision':>9s} {'recall':>7s} {'keys/tpl':>8s} {'free-uniq':>9s} {'groups':>7s} {'us/msg':>8s} {'mem KiB':>8s}")
    for name, factory in methods:
        repeats = a.repeats if name.startswith("keyer") else 1
        r = run(name, factory, msgs, repeats)
        print(f"{name:40s} {r['precision']:9.4f} {r['recall']:7.4f} {r['keys_per_template']:8.2f} "
              f"{r['free_unique']:9.3f} {r['groups']:7d} {r['us']:8.1f} {r['mem_kib']:8.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

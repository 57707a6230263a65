"""The bank world: a second, independent labelled simulator of outbound mail.

NordBank (internal domain ``nordbank.eu``) is a European online bank whose
customers write English, German and Spanish and use freemail (gmx.de, web.de,
gmail.com, hotmail.es, ...) or their company's domain. Local time is
``Europe/Berlin``: every daily and weekly rhythm follows LOCAL time (the statement
run and the newsletter leave at 07:00 local), and the default period of 28 days
before the incident day 2025-04-09 contains the summer-time change of 2025-03-30,
so a 07:00 sender moves from 06:00 to 05:00 UTC half-way through.

Normal traffic (automated unless noted), about 30k messages a weekday at scale 1:

* ``cards@``: card payments (the bulk), declined payments, card dispatch;
* ``noreply@``: one-time codes and password resets; ``security@``: sign-in and
  new-device notices and security notices that MENTION passwords and PINs
  without asking for them;
* ``alerts@``: the long-standing "account details updated" notice, incoming
  transfers, low-balance alerts;
* ``statements@``: statements on request and the monthly run on the 1st at
  07:00 local (10-20 thousand within about two hours, each with a PDF);
* ``kyc@``: the legitimate identity review (every day, 100-300, asking customers
  to UPLOAD their ID in the app or secure portal, never by email) and upload
  receipts;
* ``marketing@``: the weekly newsletter (Tuesday 07:00 local);
* ``service@``: ticket acknowledgements and closures; ``info@``: notices of new
  terms and fees;
* 12-18 support agents (human): replies in the customer's language in threads,
  5-10% pointing to the secure upload area for ID copies, some warning never to
  send a PIN by email, plus internal mail between colleagues.

Delivery artefacts are present in every scenario: about 0.5-1% of the events
are re-delivered (the identical event a second time, later in the file: replayed
runs of 200-2000 events of one sender after a consumer restart, and single
webhook retries) and about 1% arrive 1-15 minutes late. ``generate`` returns the
events in FILE (arrival) order, not sorted by ``ts``.

Scenarios: see :data:`SCENARIOS` (four incidents, four hard negatives). In every
scenario the labels also list as negatives the identity-review stream
(``identity-review``), the agents' secure-channel pointers (``secure-channel``),
the re-delivered and late events (``redelivery``, ``late``) and the local day of
the summer-time change (``dst-change``, all events of that day). In ``truth.csv``
an event with several labels has them joined with ``+``.

Determinism: every component draws from its own ``random.Random(f"{seed}/{name}/
{local date}")``, so the normal traffic of a day does not depend on the scenario
or on the length of the period. ``scale`` multiplies normal traffic and the volume
negatives; incidents keep their absolute size.

Public API::

    SCENARIOS, INTERNAL_DOMAIN, TIMEZONE, WORLD
    generate(scenario, seed, *, days=28, scale=1.0)   # -> (events in file order, labels)
    simulate(scenario, seed, out_dir, *, days=28, scale=1.0)  # events.jsonl, labels.json, truth.csv

Pure Python (stdlib + orjson).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gc
import math
import os
import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from . import bank_text as T

__all__ = ["SCENARIOS", "INTERNAL_DOMAIN", "TIMEZONE", "WORLD", "generate", "simulate", "main"]

INTERNAL_DOMAIN = "nordbank.eu"
TIMEZONE = "Europe/Berlin"
WORLD = "bank"

SCENARIOS: dict[str, str] = {
    "bank-changed-template": "incident: alerts@'s long-standing 'account details updated' template (same id, same "
                             "subject) suddenly asks customers to reply with a passport photo and their IBAN",
    "bank-loop": "incident: service@ auto-acknowledges an external autoresponder 300-600 times in ~20 minutes",
    "bank-compromised-agent": "incident: a support agent's mailbox sends ~200 credential-phishing mails to customers "
                              "it never mailed, in 30-60 minutes, without template id",
    "bank-id-blast": "incident: a NEW noreply@ template asks groups of 3-8 unrelated customers (To/Cc) to reply with "
                     "a photo of their ID card",
    "bank-statement-run": "negative: the monthly statement run on 2025-04-01 (the March run is in the warm-up)",
    "bank-surge": "negative: card-payment notifications surge 5-8x for several hours (a big sale)",
    "bank-scheduled-run": "negative: info@ sends its usual terms notice in a one-off run 10-20x its peak rate",
    "bank-baseline": "negative: normal traffic only",
}

_INCIDENTS = ("bank-changed-template", "bank-loop", "bank-compromised-agent", "bank-id-blast")
_HARM = {
    "bank-changed-template": ["changed_template", "sensitive_request"],
    "bank-loop": ["loop"],
    "bank-compromised-agent": ["never_mailed_recipients", "credential_request"],
    "bank-id-blast": ["exposed_customers", "sensitive_request"],
}
_DEFAULT_DAY = date(2025, 4, 9)  # a Wednesday
_INCIDENT_DAY = {"bank-statement-run": date(2025, 4, 1)}
_EARLIEST_START = {"bank-statement-run": date(2025, 2, 28)}  # the March 1st run must be in the warm-up

_TZ = ZoneInfo(TIMEZONE)
_SLICE = 600  # seconds; Poisson slices of the traffic model
_D = "@" + INTERNAL_DOMAIN

S_CARDS, S_NOREPLY, S_SECURITY, S_ALERTS = "cards" + _D, "noreply" + _D, "security" + _D, "alerts" + _D
S_STATEMENTS, S_KYC, S_MARKETING = "statements" + _D, "kyc" + _D, "marketing" + _D
S_SERVICE, S_INFO = "service" + _D, "info" + _D
_REPLAY_SENDERS = (S_CARDS, S_CARDS, S_NOREPLY, S_SECURITY, S_ALERTS, S_NOREPLY)


def _profile(w: tuple[float, ...]) -> tuple[float, ...]:
    s = sum(w)
    return tuple(x / s for x in w)


# hour-of-day weights in LOCAL time; weekday factors Monday..Sunday
P_CONSUMER = _profile((1.2, .6, .35, .25, .25, .45, 1.2, 2.6, 3.8, 4.6, 5.2, 5.8, 6.4, 6.0, 5.6, 5.6, 6.0, 6.6,
                       7.0, 6.8, 6.0, 4.8, 3.4, 2.0))
P_ONLINE = _profile((1.5, .8, .5, .3, .3, .6, 1.8, 3.5, 4.8, 5.2, 5.2, 5.3, 5.6, 5.2, 5.0, 5.0, 5.2, 5.6, 6.2, 6.8,
                     6.8, 6.0, 4.5, 2.8))
P_BUSINESS = _profile((.1, .05, .05, .05, .05, .2, .8, 3, 7, 8.5, 8.5, 8, 6, 7, 8, 8, 7, 5, 2, .8, .4, .2, .1, .1))
P_DAYTIME = _profile((.3, .2, .2, .2, .3, .6, 2, 4, 6, 7, 7, 7, 6.5, 6.5, 6.5, 6.5, 6, 5, 4, 3, 2, 1.5, 1, .5))
P_TRANSFER = _profile((.5, .3, .3, .3, .5, 2.5, 6, 6, 5.5, 5, 5, 5, 4.8, 4.8, 4.8, 4.8, 4.8, 4.5, 4, 3.5, 3, 2.5,
                       1.5, .8))
WF_CONSUMER = (1.0, 0.98, 1.0, 1.02, 1.12, 1.08, 0.72)
WF_FLAT = (1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.7)
WF_BUSINESS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.12, 0.04)
WF_DAILY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.35)
WF_AGENT = (1.0, 1.0, 1.0, 1.0, 0.9, 0.12, 0.0)
WF_KYC = (1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6)

_ONLINE_MERCHANTS = T.MERCHANTS["online"]
_ONLINE_PLACE = T.ONLINE_PLACE
_CARD_PAYMENT = T.TEMPLATES["card_payment"]
_AGENT_FILES = {"de": ("Reklamationsformular.pdf", "Preis-und-Leistungsverzeichnis.pdf", "Kontoauszug_Maerz.pdf"),
                "es": ("Formulario_reclamacion.pdf", "Folleto_de_tarifas.pdf", "Extracto_marzo.pdf"),
                "en": ("dispute-form.pdf", "list-of-fees.pdf", "statement-march.pdf")}

# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #

def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0.0:
        return 0
    if lam < 30.0:
        limit = math.exp(-lam)
        k, p = 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))


def _pick(rng: random.Random, seq: Any) -> Any:
    return seq[int(rng.random() * len(seq))]


def _rint(rng: random.Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


def _token(rng: random.Random, n: int = 24) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue", "á": "a",
                        "é": "e", "í": "i", "ó": "o", "ú": "u", "ñ": "n", "Á": "a", "É": "e", "Í": "i", "Ó": "o",
                        "Ú": "u", "Ñ": "n", "ı": "i", "'": "", " ": "", "à": "a", "è": "e", "ç": "c", "ï": "i"})


def _ascii(s: str) -> str:
    return s.translate(_ASCII).lower()


def _money(x: float, lang: str) -> str:
    s = f"{x:,.2f}"
    if lang == "en":
        return "€" + s
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".") + " €"


def _midnight(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=_TZ).timestamp()


def _offset(ts: float) -> int:
    """UTC offset (seconds) of the local zone at ``ts``."""
    return int(datetime.fromtimestamp(ts, _TZ).utcoffset().total_seconds())


def _fmt_date(d: date, lang: str, k: int) -> str:
    m = T.MONTHS[lang][d.month - 1]
    if lang == "de":
        return f"{d.day:02d}.{d.month:02d}.{d.year}" if k == 0 else f"{d.day}. {m} {d.year}"
    if lang == "es":
        return f"{d.day:02d}/{d.month:02d}/{d.year}" if k == 0 else f"{d.day} de {m} de {d.year}"
    return f"{d.day} {m} {d.year}" if k == 0 else f"{d.day:02d}/{d.month:02d}/{d.year}"


def _hhmm(ts: float, off: int) -> str:
    s = int(ts + off) % 86400
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


_FIXED_TZ = {3600: timezone(timedelta(hours=1)), 7200: timezone(timedelta(hours=2))}


def _rfc3339(t: float, off: int | None) -> str:
    if off is None:
        return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    tz = _FIXED_TZ.get(off) or timezone(timedelta(seconds=off))
    return datetime.fromtimestamp(t, tz).isoformat(timespec="milliseconds")


class _Day:
    """One local calendar day: its UTC bounds, 10-minute slices with their local hour and
    UTC offset, and the day's dates already formatted per language."""

    __slots__ = ("d", "t0", "t1", "wd", "slices", "dates", "later", "iso")

    def __init__(self, d: date) -> None:
        self.d, self.iso, self.wd = d, d.isoformat(), d.weekday()
        self.t0, self.t1 = _midnight(d), _midnight(d + timedelta(days=1))
        self.slices: list[tuple[float, int, int]] = []
        t = self.t0
        while t < self.t1:
            off = _offset(t)
            self.slices.append((t, off, int(t + off) % 86400 // 3600))
            t += _SLICE
        # dates[lang][fmt]; later[lang][k] = the date k days later (deadlines, delivery dates)
        self.dates = {lang: (_fmt_date(d, lang, 0), _fmt_date(d, lang, 1)) for lang in T.LANGS}
        self.later = {lang: [_fmt_date(d + timedelta(days=k), lang, 0) for k in range(0, 36)] for lang in T.LANGS}

    def off_at(self, ts: float) -> int:
        i = int((ts - self.t0) // _SLICE)
        if 0 <= i < len(self.slices):
            return self.slices[i][1]
        return _offset(ts)


class _Cust:
    __slots__ = ("email", "first", "last", "lang", "sal", "hi", "iban", "last4", "card", "card_short", "card_last",
                 "domain", "name", "company")

    def __init__(self, email: str, first: str, last: str, lang: str, gender: str, rng: random.Random,
                 company: bool) -> None:
        self.email, self.first, self.last, self.lang, self.company = email, first, last, lang, company
        self.name = f"{first} {last}"
        self.domain = email.rpartition("@")[2]
        self.sal = T.FORMAL_SAL[lang][gender].format(last=last, name=self.name)
        self.hi = T.INFORMAL_HI[lang].format(first=first)
        cc = _pick(rng, T.IBAN_COUNTRY[lang])
        self.last4 = f"{_rint(rng, 0, 9999):04d}"
        self.iban = f"{cc}** **** {self.last4}"
        self.card_last = f"{_rint(rng, 0, 9999):04d}"
        self.card = f"{_pick(rng, T.CARD_TYPES[lang])} •••• {self.card_last}"
        self.card_short = f"•••• {self.card_last}"


class _Agent:
    __slots__ = ("email", "first", "last", "name", "langs", "weights", "daily", "sig")

    def __init__(self, email: str, first: str, last: str, langs: tuple[str, ...], weights: tuple[float, ...],
                 daily: float) -> None:
        self.email, self.first, self.last, self.langs, self.weights, self.daily = email, first, last, langs, weights, daily
        self.name = f"{first} {last}"
        self.sig = {lang: T.SIGNATURE[lang].format(name=self.name) for lang in T.LANGS}


def _weighted(rng: random.Random, items: tuple | list, cum: list[float]) -> Any:
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def _cum(weights: Any) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


_TOPICS = {lang: (topics, _cum(t[0] for t in topics)) for lang, topics in T.SUPPORT_TOPICS.items()}


def _local_part(rng: random.Random, first: str, last: str) -> str:
    f, l = _ascii(first), _ascii(last)
    k = int(rng.random() * 7)
    if k == 0:
        return f"{f}.{l}"
    if k == 1:
        return f"{f}{l}{_rint(rng, 1, 99)}"
    if k == 2:
        return f"{f[0]}.{l}"
    if k == 3:
        return f"{f}_{l}{_rint(rng, 1955, 2005)}"
    if k == 4:
        return f"{l}.{f}{_rint(rng, 1, 9)}"
    if k == 5:
        return f"{f}.{l}{_rint(rng, 10, 99)}"
    return f"{f[0]}{l}{_rint(rng, 1, 999)}"


class _World:
    """Customers, business customers, support agents and colleagues; depends on seed and scale only."""

    def __init__(self, seed: int, scale: float) -> None:
        rng = random.Random(f"{seed}/world")
        n = max(3000, int(round(80_000 * scale)))
        self.customers: list[_Cust] = []
        self.by_lang: dict[str, list[_Cust]] = {lang: [] for lang in T.LANGS}
        doms = {lang: ([d for d, w in T.FREEMAIL if lang in w], _cum(w[lang] for d, w in T.FREEMAIL if lang in w))
                for lang in T.LANGS}
        seen: set[str] = set()
        langs, lang_w = T.LANGS, _cum((0.5, 0.25, 0.25))
        while len(self.customers) < n:
            lang = _weighted(rng, langs, lang_w)
            gender = "f" if rng.random() < 0.5 else "m"
            first = _pick(rng, (T.FIRST_F if gender == "f" else T.FIRST_M)[lang])
            last = _pick(rng, T.LAST[lang])
            if lang == "es" and rng.random() < 0.6:  # two surnames
                last = f"{last} {_pick(rng, T.LAST['es'])}"
            company = rng.random() < 0.08
            if company:
                trade = _pick(rng, T.TRADES[lang])
                lname = _ascii(last.split(" ")[0])
                domain = (f"{lname}-{trade}" if lang == "en" else f"{trade}-{lname}") + _pick(rng, T.TRADE_TLDS[lang])
                local = _pick(rng, T.ROLE_LOCALS[lang]) if rng.random() < 0.4 else f"{_ascii(first)}.{lname}"
                email = f"{local}@{domain}"
            else:
                ds, ws = doms[lang]
                local = _local_part(rng, first, last.split(" ")[0])
                email = f"{local}@{_weighted(rng, ds, ws)}"
            if email in seen:
                continue
            seen.add(email)
            c = _Cust(email, first, last, lang, "x" if company and rng.random() < 0.3 else gender, rng, company)
            self.customers.append(c)
            self.by_lang[lang].append(c)
        self.emails = seen
        # support agents
        self.agents: list[_Agent] = []
        aseen: set[str] = set()
        n_agents = _rint(rng, 12, 18)
        while len(self.agents) < n_agents:
            x = rng.random()
            if x < 0.55:
                home, langs_a, w = "de", ("de", "en"), (0.8, 0.2)
            elif x < 0.85:
                home, langs_a, w = "es", ("es", "en"), (0.8, 0.2)
            else:
                home, langs_a, w = "en", ("en", "de", "es"), (0.6, 0.2, 0.2)
            gender = "f" if rng.random() < 0.55 else "m"
            first = _pick(rng, (T.FIRST_F if gender == "f" else T.FIRST_M)[home])
            last = _pick(rng, T.LAST[home])
            email = f"{_ascii(first)}.{_ascii(last)}{_D}"
            if email in aseen:
                continue
            aseen.add(email)
            self.agents.append(_Agent(email, first, last, langs_a, tuple(_cum(w)), rng.uniform(28, 44)))
        # colleagues (internal recipients: team leads, back office, compliance, IT)
        self.colleagues: list[str] = [a.email for a in self.agents]
        while len(self.colleagues) < len(self.agents) + 60:
            lang = rng.choices(langs, (0.6, 0.25, 0.15))[0]
            first = _pick(rng, (T.FIRST_F if rng.random() < 0.5 else T.FIRST_M)[lang])
            email = f"{_ascii(first)}.{_ascii(_pick(rng, T.LAST[lang]))}{_D}"
            if email not in aseen:
                aseen.add(email)
                self.colleagues.append(email)
        self.colleagues += [f"team-kundenservice{_D}", f"kyc-backoffice{_D}", f"fraud-desk{_D}", f"it-support{_D}"]

    def customer(self, rng: random.Random) -> _Cust:
        return self.customers[int(rng.random() * len(self.customers))]


# --------------------------------------------------------------------------- #
# the generator
# --------------------------------------------------------------------------- #

# one row per event in the file: (arrival, ts, event, true template, true kind, label, normal)
_Row = tuple


class _Gen:
    def __init__(self, scenario: str, seed: int, days: float, scale: float) -> None:
        self.scenario, self.seed, self.scale = scenario, seed, scale
        self.day = _INCIDENT_DAY.get(scenario, _DEFAULT_DAY)
        n = int(round(days))
        first = self.day - timedelta(days=n)
        earliest = _EARLIEST_START.get(scenario)
        if earliest is not None and first > earliest:
            first, n = earliest, (self.day - earliest).days
        self.n_days = n
        self.days = [_Day(first + timedelta(days=i)) for i in range(n + 1)]
        self.inc = self.days[-1]
        self.start, self.end = self.days[0].t0, self.days[-1].t1
        self.world = _World(seed, scale)
        self.rows: list[_Row] = []
        self.groups: dict[tuple[str, str | None], list[tuple[float, str]]] = {}
        self.late: list[tuple[float, str]] = []
        self.retries: list[tuple[float, str]] = []
        self.suppress: tuple[str, str, float, float] | None = None  # (sender, template, from, to)
        self.window_labels: dict[tuple[str, str], tuple[float, float, str]] = {}

    def rng(self, name: str, day: _Day | None = None) -> random.Random:
        return random.Random(f"{self.seed}/{name}/{day.iso}" if day is not None else f"{self.seed}/{name}")

    def local(self, day: _Day, hour: float) -> float:
        """UTC seconds of a local wall-clock hour on ``day`` (hours after local midnight)."""
        h, m = int(hour), int(round((hour - int(hour)) * 60))
        d = day.d
        return datetime(d.year, d.month, d.day, h, m, tzinfo=_TZ).timestamp()

    # ---- emission ------------------------------------------------------- #
    def emit(self, rng: random.Random, ts: float, off: int, sender: str, kind: str, tpl: str | None, subject: str,
             body: str, to: list[str], template_id: str | None = None, *, cc: list[str] | None = None,
             thread_id: str | None = None, in_reply_to: str | None = None, attachments: list[dict] | None = None,
             label: str = "", group: str | None = None, normal: bool = True, host: str = "notify") -> dict | None:
        r = rng.random
        ts_ms = int(ts * 1000.0 + 0.5)
        t = ts_ms / 1000.0
        eid = f"<{ts_ms:x}.{rng.getrandbits(60):015x}@{host}.{INTERNAL_DOMAIN}>"
        x = r()
        ev: dict[str, Any] = {"event_id": eid,
                              "ts": t if x < 0.9 else _rfc3339(t, None if x < 0.95 else off),
                              "sender": sender, "to": to}
        if cc:
            ev["cc"] = cc
        if r() < 0.5:
            ev["sender_kind"] = kind
        ev["subject"] = subject
        if template_id is not None and r() < 0.6:
            ev["template_id"] = template_id
        ev["body"] = body
        if thread_id is not None:
            ev["thread_id"] = thread_id
        if in_reply_to is not None:
            ev["in_reply_to"] = in_reply_to
        if attachments:
            ev["attachments"] = attachments
        y = r()
        late = y < 0.01
        delay = (60.0 + r() * 840.0) if late else ((2.0 + r() * 118.0) if y < 0.0125 else 0.0)
        sup = self.suppress
        if sup is not None and sender == sup[0] and tpl == sup[1] and sup[2] <= t < sup[3]:
            return None
        if not label and self.window_labels:
            wl = self.window_labels.get((sender, tpl))  # type: ignore[arg-type]
            if wl is not None and wl[0] <= t < wl[1]:
                label = wl[2]
        true_tpl = tpl if tpl is not None else "free:" + eid
        self.rows.append((t + delay if late else t, t, ev, true_tpl, kind, label, normal))
        if label:
            key = (label, group if group is not None else sender)
            lst = self.groups.get(key)
            if lst is None:
                lst = self.groups[key] = []
            lst.append((t, eid))
        if late:
            self.late.append((t, eid))
        elif delay:  # a webhook retry: the identical event once more, shortly after
            self.rows.append((t + delay, t, dict(ev), true_tpl, kind, "redelivery", False))
            self.retries.append((t, eid))
        return ev

    def times(self, rng: random.Random, day: _Day, daily: float, profile: tuple[float, ...],
              wf: tuple[float, ...], mult: Any = None) -> list[tuple[float, int]]:
        """Inhomogeneous Poisson arrivals over the local day: (ts, UTC offset) pairs, unsorted."""
        f = daily * self.scale * wf[day.wd] / 6.0
        out: list[tuple[float, int]] = []
        app, r = out.append, rng.random
        for t, off, h in day.slices:
            lam = f * profile[h]
            if mult is not None:
                lam *= mult(t + _SLICE / 2)
            for _ in range(_poisson(rng, lam)):
                app((t + r() * _SLICE, off))
        return out

    # ---- automated senders ----------------------------------------------- #
    def card_payment(self, rng: random.Random, ts: float, off: int, day: _Day, *, label: str = "",
                     normal: bool = True) -> None:
        r = rng.random
        custs = self.world.customers
        c = custs[int(r() * len(custs))]
        lang = c.lang
        if r() < 0.28:
            m = _ONLINE_MERCHANTS
            name, lo, hi = m[int(r() * len(m))]
            place = _ONLINE_PLACE[int(r() * len(_ONLINE_PLACE))]
        else:
            m = T.MERCHANTS[lang]
            name, lo, hi = m[int(r() * len(m))]
            cities = T.CITIES[lang]
            place = cities[int(r() * len(cities))]
        x = r()
        amount = _money(lo + (hi - lo) * x * x, lang)
        variants = _CARD_PAYMENT[lang]
        subj, body = variants[int(r() * len(variants))]
        f = {"hi": c.hi, "card": c.card, "card_short": c.card_short, "amount": amount, "merchant": name,
             "place": place, "date": day.dates[lang][0], "time": _hhmm(ts, off),
             "url": f"https://app.nordbank.eu/cards/freeze?c={rng.getrandbits(48):012x}"}
        self.emit(rng, ts, off, S_CARDS, "automated", "card_payment", subj.format_map(f), body.format_map(f),
                  [c.email], "card_payment", label=label, normal=normal)

    def c_cards(self, day: _Day, rng: random.Random) -> None:
        for ts, off in self.times(rng, day, 19_000, P_CONSUMER, WF_CONSUMER):
            self.card_payment(rng, ts, off, day)
        for ts, off in self.times(rng, day, 350, P_CONSUMER, WF_CONSUMER):
            c = self.world.customer(rng)
            lang = c.lang
            name, lo, hi = _pick(rng, T.MERCHANTS["online"] if rng.random() < 0.4 else T.MERCHANTS[lang])
            subj, body = _pick(rng, T.TEMPLATES["card_declined"][lang])
            f = {"hi": c.hi, "card": c.card, "amount": _money(lo + (hi - lo) * rng.random(), lang), "merchant": name,
                 "reason": _pick(rng, T.DECLINE_REASONS[lang]), "date": day.dates[lang][0], "time": _hhmm(ts, off)}
            self.emit(rng, ts, off, S_CARDS, "automated", "card_declined", subj.format(**f), body.format(**f),
                      [c.email], "card_declined")
        for ts, off in self.times(rng, day, 90, P_BUSINESS, WF_BUSINESS):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, T.TEMPLATES["card_dispatched"][lang])
            f = {"sal": c.sal, "card_type": _pick(rng, T.CARD_TYPES[lang]), "card_last": f"{_rint(rng, 0, 9999):04d}",
                 "date": day.dates[lang][1], "date2": day.later[lang][_rint(rng, 3, 6)]}
            self.emit(rng, ts, off, S_CARDS, "automated", "card_dispatched", subj.format(**f), body.format(**f),
                      [c.email], "card_dispatched")

    def c_noreply(self, day: _Day, rng: random.Random) -> None:
        r = rng.random
        tpls = T.TEMPLATES["otp_code"]
        for ts, off in self.times(rng, day, 5_500, P_ONLINE, WF_FLAT):
            c = self.world.customer(rng)
            lang = c.lang
            minutes = _pick(rng, (5, 10, 10, 15))
            purpose, verb = _pick(rng, T.OTP_PURPOSES[lang])
            subj, body = tpls[lang][int(r() * len(tpls[lang]))]
            f = {"code": f"{int(r() * 1_000_000):06d}", "minutes": minutes, "purpose": purpose, "purpose_verb": verb,
                 "expiry": _hhmm(ts + 60 * minutes, off)}
            self.emit(rng, ts, off, S_NOREPLY, "automated", "otp_code", subj.format(**f), body.format(**f),
                      [c.email], "otp_code")
        for ts, off in self.times(rng, day, 450, P_ONLINE, WF_FLAT):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, T.TEMPLATES["password_reset"][lang])
            f = {"hi": c.hi, "sal": c.sal, "date": day.dates[lang][0], "time": _hhmm(ts, off),
                 "hours": _pick(rng, (1, 2, 24)), "url": f"https://banking.nordbank.eu/reset?token={_token(rng, 32)}"}
            self.emit(rng, ts, off, S_NOREPLY, "automated", "password_reset", subj.format(**f), body.format(**f),
                      [c.email], "password_reset")

    def c_security(self, day: _Day, rng: random.Random) -> None:
        for ts, off in self.times(rng, day, 2_600, P_ONLINE, WF_FLAT):
            c = self.world.customer(rng)
            lang = c.lang
            home = lang if rng.random() < 0.93 else _pick(rng, T.LANGS)
            subj, body = _pick(rng, T.TEMPLATES["login_notice"][lang])
            f = {"hi": c.hi, "date": day.dates[lang][0], "time": _hhmm(ts, off), "device": _pick(rng, T.DEVICES),
                 "loc": f"{_pick(rng, T.CITIES[home])}, {T.COUNTRY[lang][home]}",
                 "url": f"https://banking.nordbank.eu/security/lock?s={_token(rng, 20)}"}
            self.emit(rng, ts, off, S_SECURITY, "automated", "login_notice", subj.format(**f), body.format(**f),
                      [c.email], "login_notice")
        for ts, off in self.times(rng, day, 250, P_ONLINE, WF_FLAT):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, T.TEMPLATES["new_device"][lang])
            f = {"hi": c.hi, "sal": c.sal, "date": day.dates[lang][1], "time": _hhmm(ts, off),
                 "device": _pick(rng, T.DEVICES)}
            self.emit(rng, ts, off, S_SECURITY, "automated", "new_device", subj.format(**f), body.format(**f),
                      [c.email], "new_device")
        for ts, off in self.times(rng, day, 300, P_DAYTIME, WF_FLAT):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, T.TEMPLATES["security_notice"][lang])
            f = {"hi": c.hi, "sal": c.sal, "tip": _pick(rng, T.SECURITY_TIPS[lang])}
            self.emit(rng, ts, off, S_SECURITY, "automated", "security_notice", subj.format(**f), body.format(**f),
                      [c.email], "security_notice")

    def account_update(self, rng: random.Random, ts: float, off: int, day: _Day, *, changed: bool = False,
                       label: str = "", normal: bool = True) -> None:
        c = self.world.customer(rng)
        lang = c.lang
        subj, body = _pick(rng, T.TEMPLATES["account_update"][lang])
        if changed:
            body = _pick(rng, T.ACCOUNT_UPDATE_CHANGED[lang])
        f = {"sal": c.sal, "iban": c.iban, "change": _pick(rng, T.ACCOUNT_CHANGES[lang]), "date": day.dates[lang][0],
             "time": _hhmm(ts, off), "ref": f"AU-{day.d:%y%m%d}-{_rint(rng, 100000, 999999)}",
             "date2": day.later[lang][_rint(rng, 3, 7)]}
        f["Change"] = f["change"][0].upper() + f["change"][1:]
        self.emit(rng, ts, off, S_ALERTS, "automated", "account_update", subj.format(**f), body.format(**f),
                  [c.email], "account_update", label=label, normal=normal)

    def c_alerts(self, day: _Day, rng: random.Random) -> None:
        for ts, off in self.times(rng, day, 850, P_DAYTIME, WF_DAILY):
            self.account_update(rng, ts, off, day)
        month = {lang: T.MONTHS[lang][day.d.month - 1] for lang in T.LANGS}
        for ts, off in self.times(rng, day, 1_500, P_TRANSFER, WF_BUSINESS):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, T.TEMPLATES["incoming_transfer"][lang])
            x = rng.random()
            amount = 5 + 3000 * x ** 3
            if rng.random() < 0.4:
                payer = _pick(rng, T.PAYERS[lang])
            else:
                pl = _pick(rng, T.LANGS) if rng.random() < 0.2 else lang
                payer = f"{_pick(rng, (T.FIRST_F if rng.random() < 0.5 else T.FIRST_M)[pl])} {_pick(rng, T.LAST[pl])}"
            purpose = _pick(rng, T.TRANSFER_PURPOSES[lang]).format(month=month[lang], ref=_rint(rng, 10000, 99999))
            f = {"hi": c.hi, "iban": c.iban, "amount": _money(amount, lang), "payer": payer, "purpose": purpose,
                 "date": day.dates[lang][0], "time": _hhmm(ts, off),
                 "balance": _money(amount + 8000 * rng.random() ** 2, lang)}
            self.emit(rng, ts, off, S_ALERTS, "automated", "incoming_transfer", subj.format(**f), body.format(**f),
                      [c.email], "incoming_transfer")
        for ts, off in self.times(rng, day, 350, P_CONSUMER, WF_FLAT):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, T.TEMPLATES["low_balance"][lang])
            thr = _pick(rng, (50, 100, 100, 200, 250, 500))
            f = {"hi": c.hi, "iban": c.iban, "balance": _money(thr * rng.random(), lang),
                 "threshold": _money(thr, lang).replace(",00", "").replace(".00", ""),
                 "date": day.dates[lang][0], "time": _hhmm(ts, off)}
            self.emit(rng, ts, off, S_ALERTS, "automated", "low_balance", subj.format(**f), body.format(**f),
                      [c.email], "low_balance")

    def statement(self, rng: random.Random, ts: float, off: int, day: _Day, c: _Cust, tpl: str, period_start: date,
                  period_end: date) -> None:
        lang = c.lang
        subj, body = _pick(rng, T.TEMPLATES[tpl][lang])
        f = {"sal": c.sal, "iban": c.iban, "month": T.MONTHS[lang][period_start.month - 1], "year": period_start.year,
             "stno": period_start.month, "balance": _money(12000 * rng.random() ** 2 - 300, lang),
             "period": f"{_fmt_date(period_start, lang, 0)} – {_fmt_date(period_end, lang, 0)}"}
        fn = T.STATEMENT_FILE[lang].format(ym=f"{period_start:%Y-%m}", last4=c.last4)
        att = [{"filename": fn, "content_type": "application/pdf", "size": _rint(rng, 38_000, 260_000)}]
        self.emit(rng, ts, off, S_STATEMENTS, "automated", tpl, subj.format(**f), body.format(**f), [c.email], tpl,
                  attachments=att)

    def c_statements(self, day: _Day, rng: random.Random) -> None:
        for ts, off in self.times(rng, day, 60, P_BUSINESS, WF_BUSINESS):
            c = self.world.customer(rng)
            end = day.d - timedelta(days=_rint(rng, 1, 20))
            self.statement(rng, ts, off, day, c, "statement_on_request", end - timedelta(days=_rint(rng, 28, 90)), end)
        if day.d.day == 1:  # the monthly run, 07:00 local
            r = self.rng("statement-run", day)
            t0 = self.local(day, 7.0) + r.uniform(-120, 300)
            n = max(1, int(r.uniform(12_000, 18_000) * self.scale))
            dur = r.uniform(5400, 7800)
            last = day.d - timedelta(days=1)
            first = last.replace(day=1)
            for _ in range(n):
                ts = t0 + dur * r.random() ** 1.15
                self.statement(r, ts, day.off_at(ts), day, self.world.customer(r), "statement_ready", first, last)

    def c_kyc(self, day: _Day, rng: random.Random) -> None:
        tpls = T.TEMPLATES["identity_review"]
        for ts, off in self.times(rng, day, 190, P_DAYTIME, WF_KYC):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, tpls[lang])
            f = {"sal": c.sal, "date2": day.later[lang][_rint(rng, 14, 30)],
                 "ref": f"KYC-{day.d.year}-{_rint(rng, 1_000_000, 9_999_999)}",
                 "portal": f"https://secure.nordbank.eu/documents/upload?case={_token(rng, 16)}"}
            self.emit(rng, ts, off, S_KYC, "automated", "identity_review", subj.format(**f), body.format(**f),
                      [c.email], "identity_review", label="identity-review")
        for ts, off in self.times(rng, day, 70, P_CONSUMER, WF_FLAT):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, T.TEMPLATES["documents_received"][lang])
            f = {"sal": c.sal, "doc": _pick(rng, T.DOC_KINDS[lang]),
                 "ref": f"KYC-{day.d.year}-{_rint(rng, 1_000_000, 9_999_999)}"}
            self.emit(rng, ts, off, S_KYC, "automated", "documents_received", subj.format(**f), body.format(**f),
                      [c.email], "documents_received")

    def c_marketing(self, day: _Day, rng: random.Random) -> None:
        if day.wd != 1:  # Tuesday, 07:00 local
            return
        subs = self.subscribers
        n = min(len(subs), max(1, int(round(10_000 * self.scale * rng.uniform(0.95, 1.05)))))
        t0 = self.local(day, 7.0) + rng.uniform(0, 90)
        dur = rng.uniform(4800, 6000)
        week = day.d.isocalendar()[1]
        for i, c in enumerate(rng.sample(subs, n)):
            ts = t0 + dur * (i + rng.random()) / n
            lang = c.lang
            title, teaser = T.NEWSLETTER_ISSUES[lang][week % len(T.NEWSLETTER_ISSUES[lang])]
            subj, body = _pick(rng, T.TEMPLATES["newsletter"][lang])
            f = {"hi": c.hi, "title": title, "teaser": teaser, "issue": f"{week}/{day.d.year}", "email": c.email,
                 "date": day.dates[lang][1], "rate": "2,75" if lang != "en" else "2.75",
                 "url": f"https://www.nordbank.eu/n/{week}?utm_source=newsletter&utm_medium=email&u={_token(rng, 12)}",
                 "unsub": f"https://www.nordbank.eu/unsubscribe?token={_token(rng, 32)}"}
            self.emit(rng, ts, day.off_at(ts), S_MARKETING, "automated", "newsletter", subj.format(**f),
                      body.format(**f), [c.email], "newsletter")

    def ticket_ack(self, rng: random.Random, ts: float, off: int, day: _Day, to: str, lang: str, ticket: str,
                   **kw: Any) -> dict | None:
        subj, body = _pick(rng, T.TEMPLATES["ticket_ack"][lang])
        f = {"ticket": ticket, "hours": _pick(rng, (24, 48)), "date": day.dates[lang][0]}
        return self.emit(rng, ts, off, S_SERVICE, "automated", "ticket_ack", subj.format(**f), body.format(**f), [to],
                         "ticket_ack", **kw)

    def c_service(self, day: _Day, rng: random.Random) -> None:
        for ts, off in self.times(rng, day, 320, P_ONLINE, WF_FLAT):
            c = self.world.customer(rng)
            self.ticket_ack(rng, ts, off, day, c.email, c.lang, f"{day.d:%y%m}-{_rint(rng, 100000, 999999)}",
                            in_reply_to=f"<{_token(rng, 20)}@mail.{c.domain}>")
        agents = self.world.agents
        for ts, off in self.times(rng, day, 110, P_BUSINESS, WF_BUSINESS):
            c = self.world.customer(rng)
            lang = c.lang
            subj, body = _pick(rng, T.TEMPLATES["ticket_closed"][lang])
            f = {"ticket": f"{day.d:%y%m}-{_rint(rng, 100000, 999999)}", "agent": _pick(rng, agents).first,
                 "date": day.dates[lang][0], "url": f"https://feedback.nordbank.eu/s/{_token(rng, 16)}"}
            self.emit(rng, ts, off, S_SERVICE, "automated", "ticket_closed", subj.format(**f), body.format(**f),
                      [c.email], "ticket_closed")

    def terms_update(self, rng: random.Random, ts: float, off: int, day: _Day, *, label: str = "",
                     normal: bool = True) -> None:
        c = self.world.customer(rng)
        lang = c.lang
        subj, body = _pick(rng, T.TEMPLATES["terms_update"][lang])
        eff = date(day.d.year + (day.d.month == 12), day.d.month % 12 + 1, 1) + timedelta(days=31)
        eff = eff.replace(day=1)
        f = {"sal": c.sal, "date2": _fmt_date(eff, lang, 1), "change": _pick(rng, T.TERMS_CHANGES[lang]),
             "url": f"https://www.nordbank.eu/konditionen?ref={_token(rng, 10)}"}
        self.emit(rng, ts, off, S_INFO, "automated", "terms_update", subj.format(**f), body.format(**f), [c.email],
                  "terms_update", label=label, normal=normal)

    def c_info(self, day: _Day, rng: random.Random) -> None:
        for ts, off in self.times(rng, day, 110, P_BUSINESS, WF_BUSINESS):
            self.terms_update(rng, ts, off, day)

    # ---- humans ----------------------------------------------------------- #
    def agent_fill(self, rng: random.Random, day: _Day, c: _Cust) -> dict:
        lang = c.lang
        name, lo, hi = _pick(rng, T.MERCHANTS["online"] if rng.random() < 0.4 else T.MERCHANTS[lang])
        past = day.d - timedelta(days=_rint(rng, 1, 12))
        return {"iban": c.iban, "merchant": name, "amount": _money(lo + (hi - lo) * rng.random(), lang),
                "date": _fmt_date(past, lang, 0), "date2": day.later[lang][_rint(rng, 2, 7)],
                "ticket": f"{day.d:%y%m}-{_rint(rng, 100000, 999999)}",
                "wrote": _fmt_date(day.d - timedelta(days=_rint(rng, 0, 2)), lang, 0)}

    def agent_body(self, rng: random.Random, a: _Agent, c: _Cust, f: dict, sentences: list[str],
                   quote: str | None) -> str:
        lang = c.lang
        parts = [s if (i == 0 and lang == "de") else s[0].upper() + s[1:] for i, s in enumerate(sentences)]
        greet = c.sal if rng.random() < 0.7 else c.hi
        text = (f"{greet}{':' if lang == 'es' else ','}\n\n{' '.join(parts)}\n\n{_pick(rng, T.CLOSINGS[lang])}\n"
                f"{a.sig[lang]}")
        if quote:
            text += f"\n\n{T.WROTE[lang].format(date=f['wrote'], name=c.name, email=c.email)}\n> {quote}"
        return text

    def c_agent(self, day: _Day, rng: random.Random, a: _Agent) -> None:
        w = self.world
        r = rng.random
        for ts, off in self.times(rng, day, a.daily, P_BUSINESS, WF_AGENT):
            if r() < 0.16:
                self.internal_mail(rng, ts, off, day, a)
                continue
            lang = a.langs[0] if len(a.langs) == 1 else _weighted(rng, a.langs, a.weights)
            pool = w.by_lang[lang]
            c = pool[int(r() * len(pool))]
            f = self.agent_fill(rng, day, c)
            topics, cum = _TOPICS[lang]
            _, id_related, subject, quotes, replies = _weighted(rng, topics, cum)
            k = _rint(rng, 1, len(replies))
            start = _rint(rng, 0, len(replies) - k)
            sents = [x.format(**f) for x in replies[start:start + k]]
            if r() < 0.6:
                sents.insert(0, _pick(rng, T.SUPPORT_OPENERS[lang]))
            label = ""
            if r() < (0.45 if id_related else 0.004):
                sents.append(_pick(rng, T.SECURE_CHANNEL[lang]))
                label = "secure-channel"
            if r() < (0.2 if "PIN" in " ".join(replies) or "app" in subject.lower() else 0.015):
                sents.append(_pick(rng, T.PIN_WARNINGS[lang]))
            if r() < 0.5:
                sents.append(_pick(rng, T.SUPPORT_CLOSERS[lang]))
            subject = subject.format(**f)
            prefix = _pick(rng, T.REPLY_PREFIX[lang])
            thread = f"thr-{_token(rng, 16)}"
            att = None
            if r() < 0.05:
                att = [{"filename": _pick(rng, _AGENT_FILES[lang]), "content_type": "application/pdf",
                        "size": _rint(rng, 40_000, 600_000)}]
            body = self.agent_body(rng, a, c, f, sents, _pick(rng, quotes).format(**f))
            self.emit(rng, ts, off, a.email, "human", None, prefix + subject, body, [c.email], thread_id=thread,
                      in_reply_to=f"<{_token(rng, 20)}@mail.{c.domain}>", attachments=att, label=label,
                      host="mail")
            if r() < 0.2:  # the customer answers, the agent follows up in the same thread
                ts2 = ts + rng.uniform(1800, 4 * 3600)
                if ts2 < day.t1:
                    sents2 = [_pick(rng, T.SUPPORT_OPENERS[lang]), _pick(rng, replies).format(**f),
                              _pick(rng, T.SUPPORT_CLOSERS[lang])]
                    body2 = self.agent_body(rng, a, c, f, sents2, None)
                    subj2 = prefix + (prefix + subject if r() < 0.2 else subject)
                    self.emit(rng, ts2, day.off_at(ts2), a.email, "human", None, subj2, body2, [c.email],
                              thread_id=thread, in_reply_to=f"<{_token(rng, 20)}@mail.{c.domain}>", host="mail")

    def internal_mail(self, rng: random.Random, ts: float, off: int, day: _Day, a: _Agent) -> None:
        cols = [x for x in rng.sample(self.world.colleagues, _rint(rng, 1, 3)) if x != a.email]
        if not cols:
            cols = [self.world.colleagues[-4]]
        lang = "de" if rng.random() < 0.6 else "en"
        f = {"ticket": f"{day.d:%y%m}-{_rint(rng, 100000, 999999)}", "day": _pick(rng, T.WEEKDAYS[lang][:5]),
             "week": day.d.isocalendar()[1]}
        subj = _pick(rng, T.INTERNAL_SUBJECTS).format(**f)
        bank = T.INTERNAL_SENTENCES[lang]
        sents = " ".join(x.format(**f) for x in rng.sample(bank, _rint(rng, 1, 3)))
        hi, bye = (("Hallo", "Hi", "Moin"), ("Danke", "VG", "LG", "Danke dir")) if lang == "de" else \
            (("Hi", "Hello", "Hi all"), ("Thanks", "Cheers", "Best"))
        body = f"{_pick(rng, hi)},\n\n{sents}\n\n{_pick(rng, bye)}\n{a.first}"
        cc = [self.world.colleagues[-4]] if rng.random() < 0.15 else None
        self.emit(rng, ts, off, a.email, "human", None, subj, body, cols, cc=cc,
                  thread_id=f"thr-{_token(rng, 16)}" if rng.random() < 0.5 else None, host="mail")

    # ---- incidents and negatives ---------------------------------------- #
    def changed_template(self, w0: float, w1: float) -> None:
        rng = self.rng("changed-template")
        n = _rint(rng, 280, 380)
        day = self.inc
        for _ in range(n):
            ts = w0 + (w1 - w0) * rng.random()
            self.account_update(rng, ts, day.off_at(ts), day, changed=True, label=self.scenario, normal=False)

    def surge(self, s0: float, s1: float, peak: float) -> None:
        rng = self.rng("cards-surge")
        ramp = 1800.0

        def extra(t: float) -> float:
            if t < s0 or t >= s1:
                return 0.0
            k = min(1.0, (t - s0) / ramp, (s1 - t) / ramp)
            return (peak - 1.0) * k

        day = self.inc
        for ts, off in self.times(rng, day, 19_000, P_CONSUMER, WF_CONSUMER, mult=extra):
            self.card_payment(rng, ts, off, day, label=self.scenario, normal=False)

    def scheduled_run(self, r0: float, hours: float, factor: float) -> None:
        rng = self.rng("scheduled-run")
        hourly: dict[int, int] = {}
        for row in self.rows:
            if row[6] and row[2]["sender"] == S_INFO:
                h = int(row[1] // 3600)
                hourly[h] = hourly.get(h, 0) + 1
        peak = max(hourly.values(), default=1)
        n = max(1, int(round(factor * peak * hours)))
        day = self.inc
        for i in range(n):
            ts = r0 + hours * 3600.0 * (i + rng.random()) / n
            self.terms_update(rng, ts, day.off_at(ts), day, label=self.scenario, normal=False)

    def loop(self) -> None:
        rng = self.rng("loop")
        partner, lang = _pick(rng, T.LOOP_PARTNERS)
        day = self.inc
        t0 = self.local(day, 10.3) + rng.uniform(0, 900)
        n = _rint(rng, 300, 600)
        dur = rng.uniform(1100, 1400)
        ticket = f"{day.d:%y%m}-{_rint(rng, 100000, 999999)}"
        subj, body = T.TEMPLATES["ticket_ack"][lang][0]
        f = {"ticket": ticket, "hours": 24, "date": day.dates[lang][0]}
        subj, body = subj.format(**f), body.format(**f)
        thread = f"thr-{_token(rng, 16)}"
        pdom = partner.rpartition("@")[2]
        for i in range(n):
            ts = t0 + dur * (i + rng.uniform(0.3, 0.7)) / n
            self.emit(rng, ts, day.off_at(ts), S_SERVICE, "automated", "ticket_ack", subj, body, [partner],
                      "ticket_ack", thread_id=thread, in_reply_to=f"<{_token(rng, 20)}@{pdom}>",
                      label=self.scenario, normal=False)

    def compromised(self) -> str:
        rng = self.rng("compromised-agent")
        a = _pick(rng, self.world.agents)
        mailed: set[str] = set()
        for row in self.rows:
            ev = row[2]
            if ev["sender"] == a.email:
                mailed.update(ev["to"])
                mailed.update(ev.get("cc") or ())
        day = self.inc
        t0 = self.local(day, 14.0) + rng.uniform(0, 1200)
        dur = rng.uniform(1800, 3600)
        n = _rint(rng, 190, 210)
        chosen: list[_Cust] = []
        picked: set[str] = set()
        while len(chosen) < n:
            c = self.world.customer(rng)
            if c.email not in mailed and c.email not in picked:
                picked.add(c.email)
                chosen.append(c)
        for i, c in enumerate(chosen):
            ts = t0 + dur * (i + rng.random()) / n
            lang = c.lang
            subj, body = _pick(rng, T.PHISHING[lang])
            f = {"hi": c.hi, "agent": a.name, "date2": day.later[lang][1],
                 "url": f"https://{_pick(rng, T.PHISHING_DOMAINS)}/login?session={_token(rng, 20)}"}
            self.emit(rng, ts, day.off_at(ts), a.email, "human", "phishing_credentials", subj.format(**f),
                      body.format(**f), [c.email], label=self.scenario, normal=False, host="mail")
        return a.email

    def id_blast(self) -> None:
        rng = self.rng("id-blast")
        day = self.inc
        n = _rint(rng, 250, 320)
        t0 = self.local(day, 11.0) + rng.uniform(0, 900)
        dur = rng.uniform(6000, 8400)
        for i in range(n):
            ts = t0 + dur * (i + rng.random()) / n
            lang = rng.choices(T.LANGS, (0.5, 0.25, 0.25))[0]
            group = [c.email for c in rng.sample(self.world.by_lang[lang], _rint(rng, 3, 8))]
            k = _rint(rng, 1, 2)
            subj, body = _pick(rng, T.TEMPLATES["id_verification"][lang])
            f = {"date2": day.later[lang][_rint(rng, 2, 5)], "ref": f"IDV-{_rint(rng, 10**6, 10**7 - 1)}"}
            self.emit(rng, ts, day.off_at(ts), S_NOREPLY, "automated", "id_verification", subj.format(**f),
                      body.format(**f), group[:k], "id_verification", cc=group[k:], label=self.scenario,
                      normal=False)

    # ---- run ---------------------------------------------------------------- #
    def normal_traffic(self) -> None:
        subs_rng = self.rng("newsletter-subscribers")
        self.subscribers = subs_rng.sample(self.world.customers,
                                           min(len(self.world.customers), int(10_500 * self.scale) + 50))
        components = (("cards", self.c_cards), ("noreply", self.c_noreply), ("security", self.c_security),
                      ("alerts", self.c_alerts), ("statements", self.c_statements), ("kyc", self.c_kyc),
                      ("marketing", self.c_marketing), ("service", self.c_service), ("info", self.c_info))
        for day in self.days:
            for name, fn in components:
                fn(day, self.rng(name, day))
            for a in self.world.agents:
                self.c_agent(day, self.rng(f"agent/{a.email}", day), a)

    def run(self) -> tuple[list[dict], dict, list[tuple[str, str, str, str]]]:
        sc = self.scenario
        inc = self.inc
        srng = self.rng("scenario")
        extra: dict[str, Any] = {}
        if sc == "bank-changed-template":
            w0 = self.local(inc, 9.5) + srng.uniform(0, 1800)
            w1 = w0 + srng.uniform(4.5, 5.5) * 3600
            self.suppress = (S_ALERTS, "account_update", w0, w1)
        elif sc == "bank-surge":
            s0 = self.local(inc, 10.5) + srng.uniform(0, 1800)
            s1 = s0 + srng.uniform(4.0, 6.0) * 3600
            self.window_labels[(S_CARDS, "card_payment")] = (s0, s1, sc)
        elif sc == "bank-scheduled-run":
            r0 = self.local(inc, 9.0) + srng.uniform(0, 1800)
            hours = srng.uniform(2.5, 3.5)
            self.window_labels[(S_INFO, "terms_update")] = (r0, r0 + hours * 3600, sc)
        elif sc == "bank-statement-run":
            self.window_labels[(S_STATEMENTS, "statement_ready")] = (inc.t0, inc.t1, sc)
        self.normal_traffic()
        self.suppress = None
        if sc == "bank-changed-template":
            self.changed_template(w0, w1)
        elif sc == "bank-surge":
            self.surge(s0, s1, srng.uniform(5.0, 8.0))
        elif sc == "bank-scheduled-run":
            self.scheduled_run(r0, hours, srng.uniform(10.0, 20.0))
        elif sc == "bank-loop":
            self.loop()
        elif sc == "bank-compromised-agent":
            extra["compromised_sender"] = self.compromised()
        elif sc == "bank-id-blast":
            self.id_blast()
        replays = self.replays()
        return self.assemble(replays, extra)

    def replays(self) -> list[tuple[str, list[tuple[float, str]]]]:
        """Consumer restarts: a contiguous run of 200-2000 events of one sender delivered again,
        minutes to hours later. Drawn per local day from the normal traffic only."""
        retried = {eid for _, eid in self.retries}
        cand = set(_REPLAY_SENDERS)
        by_sender: dict[str, list[_Row]] = {s: [] for s in cand}
        for row in self.rows:
            if row[6]:
                s = row[2]["sender"]
                if s in cand:
                    by_sender[s].append(row)
        ts_of: dict[str, list[float]] = {}
        for s, lst in by_sender.items():
            lst.sort(key=lambda row: row[1])
            ts_of[s] = [row[1] for row in lst]
        out: list[tuple[str, list[tuple[float, str]]]] = []
        for day in self.days:
            rr = self.rng("replay", day)
            if rr.random() >= 0.25:
                continue
            s = _pick(rr, _REPLAY_SENDERS)
            start = day.t0 + rr.uniform(6.0, 21.0) * 3600.0
            length = _rint(rr, 200, 2000) if rr.random() < 0.3 else _rint(rr, 200, 900)
            length = max(30, int(length * min(1.0, self.scale)))
            delay = rr.uniform(240.0, 3 * 3600.0)
            compress = rr.uniform(0.01, 0.05)
            i = bisect.bisect_left(ts_of[s], start)
            chunk = [row for row in by_sender[s][i:i + length] if row[2]["event_id"] not in retried]
            if len(chunk) < 20:
                continue
            restart = chunk[-1][1] + delay
            t_first = chunk[0][1]
            ids = []
            for j, row in enumerate(chunk):
                arrival = max(restart + (row[1] - t_first) * compress + j * 1e-4, row[0] + 1.0)
                self.rows.append((arrival, row[1], dict(row[2]), row[3], row[4], "redelivery", False))
                ids.append((row[1], row[2]["event_id"]))
            out.append((s, ids))
        return out

    def assemble(self, replays: list[tuple[str, list[tuple[float, str]]]],
                 extra: dict[str, Any]) -> tuple[list[dict], dict, list[tuple[str, str, str, str]]]:
        sc = self.scenario
        self.rows.sort(key=lambda row: row[0])
        late_ids = {eid for _, eid in self.late}
        events: list[dict] = []
        truth: list[tuple[str, str, str, str]] = []
        ev_app, tr_app = events.append, truth.append
        for row in self.rows:
            ev = row[2]
            ev_app(ev)
            label = row[5]
            if label != "redelivery" and ev["event_id"] in late_ids:
                label = label + "+late" if label else "late"
            tr_app((ev["event_id"], row[3], row[4], label))

        def entry(name: str, sender: str | None, pairs: list[tuple[float, str]], template_id: str | None,
                  start: float | None = None, end: float | None = None) -> dict:
            pairs = sorted(set(pairs))
            return {"name": name, "sender": sender,
                    "start_ts": pairs[0][0] if start is None else start,
                    "end_ts": pairs[-1][0] if end is None else end,
                    "template_id": template_id, "event_ids": [eid for _, eid in pairs]}

        incident_tpl = {"bank-changed-template": "account_update", "bank-loop": "ticket_ack",
                        "bank-compromised-agent": None, "bank-id-blast": "id_verification"}
        negative_tpl = {"bank-statement-run": "statement_ready", "bank-surge": "card_payment",
                        "bank-scheduled-run": "terms_update", "identity-review": "identity_review",
                        "secure-channel": None}
        incidents, negatives, secure = [], [], []
        for (name, sender), pairs in self.groups.items():
            if name in incident_tpl:
                e = entry(name, sender, pairs, incident_tpl[name])
                e["harm"] = list(_HARM[name])
                if name == "bank-compromised-agent":
                    e["template"] = "phishing_credentials"
                incidents.append(e)
            elif name == "secure-channel":
                secure.append(entry(name, sender, pairs, None))
            else:
                negatives.append(entry(name, sender, pairs, negative_tpl.get(name)))
        incidents.sort(key=lambda e: (e["start_ts"], e["sender"]))
        negatives.sort(key=lambda e: (e["name"] != sc, e["start_ts"]))
        negatives += sorted(secure, key=lambda e: e["sender"])
        if sc == "bank-baseline":
            negatives.insert(0, {"name": sc, "sender": None, "start_ts": self.start, "end_ts": self.end,
                                 "template_id": None, "event_ids": []})
        for s, pairs in replays:
            negatives.append(entry("redelivery", s, pairs, None))
        if self.retries:
            negatives.append(entry("redelivery", None, self.retries, None))
        if self.late:
            negatives.append(entry("late", None, self.late, None))
        for day in self.days:
            if len(day.slices) != 24 * 3600 // _SLICE:  # the summer-time change (23 or 25 local hours)
                pairs = [(row[1], row[2]["event_id"]) for row in self.rows
                         if row[5] != "redelivery" and day.t0 <= row[1] < day.t1]
                negatives.append(entry("dst-change", None, pairs, None, day.t0, day.t1))
        labels = {
            "scenario": sc, "seed": self.seed, "start_ts": self.start, "end_ts": self.end, "days": self.n_days,
            "scale": self.scale, "incident_day": self.day.isoformat(), "internal_domains": [INTERNAL_DOMAIN],
            "timezone": TIMEZONE, "world": WORLD, "incidents": incidents, "negatives": negatives,
        }
        labels.update(extra)
        return events, labels, truth


# --------------------------------------------------------------------------- #
# public API
# --------------------------------------------------------------------------- #


def _check(scenario: str, days: float, scale: float) -> None:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; valid scenarios: {', '.join(SCENARIOS)}")
    if not (isinstance(days, (int, float)) and math.isfinite(days) and days >= 0):
        raise ValueError("days must be a non-negative number")
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError("scale must be a positive number")


def _generate(scenario: str, seed: int, days: float, scale: float):
    _check(scenario, days, scale)
    was_enabled = gc.isenabled()
    gc.disable()  # a million small acyclic dicts: the cyclic GC would only rescan them
    try:
        return _Gen(scenario, int(seed), float(days), float(scale)).run()
    finally:
        if was_enabled:
            gc.enable()


def generate(scenario: str, seed: int, *, days: float = 28, scale: float = 1.0) -> tuple[list[dict], dict]:
    """Generate a scenario: ``(events in file order, labels)``; deterministic for a seed.

    ``days`` is the number of local days before the incident day (the incident day
    itself is added); for ``bank-statement-run`` the period is extended back to
    2025-02-28 when needed so that it holds the March statement run (``labels['days']``
    is the effective number).
    """
    events, labels, _ = _generate(scenario, seed, days, scale)
    return events, labels


def simulate(scenario: str, seed: int, out_dir: str | os.PathLike, *, days: float = 28,
             scale: float = 1.0) -> dict:
    """Write ``events.jsonl`` (file order), ``labels.json`` and ``truth.csv`` under ``out_dir``;
    return the labels."""
    events, labels, truth = _generate(scenario, seed, days, scale)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dumps = orjson.dumps
    with open(out / "events.jsonl", "wb") as fh:
        for i in range(0, len(events), 10_000):
            fh.write(b"".join(dumps(ev) + b"\n" for ev in events[i:i + 10_000]))
    (out / "labels.json").write_bytes(orjson.dumps(labels, option=orjson.OPT_INDENT_2) + b"\n")
    with open(out / "truth.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("event_id", "template", "sender_kind", "label"))
        w.writerows(truth)
    return labels


def main(argv: list[str] | None = None) -> int:
    """``python -m detectors.sim.bank --scenario NAME --out DIR [--seed N] [--days D] [--scale S] [--list]``."""
    ap = argparse.ArgumentParser(prog="sim_bank", description="Generate a labelled scenario of the bank world.")
    ap.add_argument("--scenario")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out")
    ap.add_argument("--days", type=float, default=28.0)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)
    if args.list:
        for name, desc in SCENARIOS.items():
            print(f"{name:<24}  {desc}")
        return 0
    if not args.scenario or not args.out:
        ap.print_usage(sys.stderr)
        return 2
    try:
        labels = simulate(args.scenario, args.seed, args.out, days=args.days, scale=args.scale)
    except ValueError as exc:
        print(f"sim_bank: error: {exc}", file=sys.stderr)
        return 2
    n_inc = sum(len(e["event_ids"]) for e in labels["incidents"])
    print(f"sim_bank: {args.scenario} seed={args.seed} -> {args.out} ({n_inc} incident events)", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

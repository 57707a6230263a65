"""The bank world (:mod:`detectors.sim.bank`): format, determinism, labels, artefacts, local time."""

from __future__ import annotations

import bisect
import csv
import functools
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import orjson
import pytest

from detectors.sim import bank as sim_bank
from detectors.events import parse_event
from detectors.sim.bank import INTERNAL_DOMAIN, SCENARIOS, TIMEZONE, generate, simulate

BERLIN = ZoneInfo(TIMEZONE)
SMALL = 0.02  # scale of most tests: the world keeps its shape, the volumes shrink


@functools.lru_cache(maxsize=None)
def _gen(scenario: str, seed: int = 1, days: int = 28, scale: float = SMALL):
    return generate(scenario, seed, days=days, scale=scale)


def _ts(ev: dict) -> float:
    return parse_event(ev).ts


def _by_id(events: list[dict]) -> dict[str, dict]:
    return {e["event_id"]: e for e in events}


def _local_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, BERLIN).date()


INVOLVED = {  # the sender each scenario adds to or changes
    "bank-changed-template": "alerts@nordbank.eu",
    "bank-loop": "service@nordbank.eu",
    "bank-id-blast": "noreply@nordbank.eu",
    "bank-surge": "cards@nordbank.eu",
    "bank-scheduled-run": "info@nordbank.eu",
    "bank-statement-run": "statements@nordbank.eu",
}


# --------------------------------------------------------------------------- #
# API and format
# --------------------------------------------------------------------------- #


def test_scenarios_and_constants():
    assert len(SCENARIOS) == 8 and all(name.startswith("bank-") for name in SCENARIOS)
    assert INTERNAL_DOMAIN == "nordbank.eu" and TIMEZONE == "Europe/Berlin"
    with pytest.raises(ValueError):
        generate("no-such-scenario", 1)
    with pytest.raises(ValueError):
        generate("bank-baseline", 1, scale=0)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_event_passes_the_validator(scenario):
    events, labels = _gen(scenario, 1, 2)
    assert events
    for ev in events:
        e = parse_event(orjson.dumps(ev))  # raises EventRejected on a bad event
        assert e.recipients
        assert labels["start_ts"] - 1 <= e.ts < labels["end_ts"] + 1
        assert set(ev) <= {"event_id", "ts", "sender", "to", "cc", "bcc", "sender_kind", "subject", "template_id",
                           "body", "thread_id", "in_reply_to", "attachments"}
        assert e.sender.endswith("@" + INTERNAL_DOMAIN)


def test_field_mix_like_the_first_world():
    events, _ = _gen("bank-baseline")
    n = len(events)
    assert 30 * 29 * 1000 * SMALL * 0.8 < n < 60 * 29 * 1000 * SMALL * 1.2
    assert 0.4 < sum("sender_kind" in e for e in events) / n < 0.6
    automated = [e for e in events if "." not in e["sender"].split("@")[0]]
    assert 0.5 < sum("template_id" in e for e in automated) / len(automated) < 0.7
    assert not any("template_id" in e for e in events if "." in e["sender"].split("@")[0])
    strings = [e["ts"] for e in events if isinstance(e["ts"], str)]
    assert 0.06 < len(strings) / n < 0.14
    assert any(s.endswith("Z") for s in strings)
    assert any(s.endswith("+01:00") for s in strings) and any(s.endswith("+02:00") for s in strings)
    assert all(isinstance(e["ts"], float) for e in events if not isinstance(e["ts"], str))
    # customers in three languages, on freemail and company domains
    domains = Counter(e["to"][0].rpartition("@")[2] for e in events if e["sender"] == "cards@nordbank.eu")
    for d in ("gmail.com", "gmx.de", "web.de", "hotmail.es"):
        assert domains[d] > 0
    subjects = " ".join(e["subject"] for e in events if e["sender"] == "noreply@nordbank.eu")
    assert "Bestätigungscode" in subjects and "código" in subjects and "Your verification code" in subjects


def test_labels_format():
    for scenario in SCENARIOS:
        events, labels = _gen(scenario, 1, 2)
        for key in ("scenario", "seed", "start_ts", "end_ts", "days", "scale", "incident_day", "internal_domains",
                    "timezone", "world", "incidents", "negatives"):
            assert key in labels
        assert labels["world"] == "bank" and labels["timezone"] == "Europe/Berlin"
        assert labels["internal_domains"] == ["nordbank.eu"]
        assert labels["scenario"] == scenario
        by_id = _by_id(events)
        for entry in labels["incidents"] + labels["negatives"]:
            assert {"name", "sender", "start_ts", "end_ts", "template_id", "event_ids"} <= set(entry)
            ids = entry["event_ids"]
            assert len(ids) == len(set(ids))
            assert all(i in by_id for i in ids), entry["name"]
            ts = [_ts(by_id[i]) for i in ids]
            assert ts == sorted(ts)
            if ts:
                assert entry["start_ts"] <= ts[0] + 1e-3 and ts[-1] <= entry["end_ts"] + 1e-3
        for entry in labels["incidents"]:
            assert entry["harm"] and entry["sender"]


# --------------------------------------------------------------------------- #
# determinism and independence of the scenario
# --------------------------------------------------------------------------- #


def test_deterministic_for_a_seed_and_different_across_seeds():
    a_events, a_labels = generate("bank-id-blast", 7, days=3, scale=SMALL)
    b_events, b_labels = generate("bank-id-blast", 7, days=3, scale=SMALL)
    assert [orjson.dumps(e) for e in a_events] == [orjson.dumps(e) for e in b_events]
    assert orjson.dumps(a_labels) == orjson.dumps(b_labels)
    c_events, _ = generate("bank-id-blast", 8, days=3, scale=SMALL)
    assert {e["event_id"] for e in a_events}.isdisjoint({e["event_id"] for e in c_events})
    assert [e["body"] for e in a_events[:50]] != [e["body"] for e in c_events[:50]]


def _uninvolved(events: list[dict], labels: dict, lo: float, hi: float) -> dict[str, list[bytes]]:
    skip = {INVOLVED.get(labels["scenario"]), labels.get("compromised_sender")}
    out: dict[str, list[bytes]] = defaultdict(list)
    for ev in events:
        if ev["sender"] not in skip and lo <= _ts(ev) < hi:
            out[ev["sender"]].append(orjson.dumps(ev))
    return out


def test_normal_traffic_does_not_depend_on_the_scenario():
    base_events, base_labels = _gen("bank-baseline", 1, 3)
    lo, hi = base_labels["start_ts"], base_labels["end_ts"]
    for scenario in SCENARIOS:
        if scenario in ("bank-baseline", "bank-statement-run"):
            continue
        events, labels = _gen(scenario, 1, 3)
        assert (labels["start_ts"], labels["end_ts"]) == (lo, hi)
        base = _uninvolved(base_events, labels, lo, hi)
        mine = _uninvolved(events, labels, lo, hi)
        assert base.keys() == mine.keys(), scenario
        for sender in base:  # identical events, identical artefacts, in the same file order
            assert base[sender] == mine[sender], (scenario, sender)
        # and the scenario's own sender keeps its normal traffic of the other days
        own = INVOLVED.get(scenario)
        if own:
            day0 = labels["end_ts"] - 86400 - 3600
            before = [e for e in events if e["sender"] == own and _ts(e) < day0]
            assert before == [e for e in base_events if e["sender"] == own and _ts(e) < day0]


def test_a_day_is_the_same_whatever_the_period():
    # the statement-run period (2025-02-28 .. 2025-04-01) overlaps the default one on 30 March - 1 April
    long_events, _ = _gen("bank-statement-run", 1, 2)
    base_events, _ = _gen("bank-baseline", 1, 10)
    lo = datetime(2025, 3, 30, tzinfo=BERLIN).timestamp()
    hi = datetime(2025, 4, 2, tzinfo=BERLIN).timestamp()
    for sender in ("security@nordbank.eu", "kyc@nordbank.eu", "marketing@nordbank.eu"):
        a = sorted({e["event_id"]: orjson.dumps(e) for e in long_events
                    if e["sender"] == sender and lo <= _ts(e) < hi}.values())
        b = sorted({e["event_id"]: orjson.dumps(e) for e in base_events
                    if e["sender"] == sender and lo <= _ts(e) < hi}.values())
        assert a and a == b, sender


# --------------------------------------------------------------------------- #
# incidents and negatives
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_scenario_has_its_label_and_the_common_negatives(scenario):
    events, labels = _gen(scenario)
    names = [e["name"] for e in labels["negatives"]]
    for common in ("identity-review", "secure-channel", "redelivery", "late", "dst-change"):
        assert common in names, common
    if scenario in sim_bank._INCIDENTS:
        assert [e["name"] for e in labels["incidents"]] == [scenario]
        inc = labels["incidents"][0]
        assert inc["harm"] == sim_bank._HARM[scenario]
        day = date.fromisoformat(labels["incident_day"])
        assert _local_date(inc["start_ts"]) == day == _local_date(inc["end_ts"])
    else:
        assert labels["incidents"] == []
        assert names[0] == scenario
    idr = [e for e in labels["negatives"] if e["name"] == "identity-review"]
    assert len(idr) == 1 and idr[0]["sender"] == "kyc@nordbank.eu" and idr[0]["template_id"] == "identity_review"
    by_id = _by_id(events)
    days = {_local_date(_ts(by_id[i])) for i in idr[0]["event_ids"]}
    assert len(days) >= 0.7 * (labels["days"] + 1)  # thin at this scale; every day at scale 1
    dst = [e for e in labels["negatives"] if e["name"] == "dst-change"][0]
    assert dst["sender"] is None
    assert datetime.fromtimestamp(dst["start_ts"], BERLIN) == datetime(2025, 3, 30, tzinfo=BERLIN)
    assert dst["end_ts"] - dst["start_ts"] == 23 * 3600


def test_identity_review_is_a_daily_upload_request():
    events, labels = _gen("bank-baseline", 2, 6, 0.5)
    by_id = _by_id(events)
    idr = [e for e in labels["negatives"] if e["name"] == "identity-review"][0]
    per_day = Counter(_local_date(_ts(by_id[i])) for i in idr["event_ids"])
    assert len(per_day) == 7
    assert all(25 <= n <= 150 for n in per_day.values())  # 100-300 a weekday at scale 1
    langs = Counter()
    for i in idr["event_ids"]:
        ev = by_id[i]
        body = ev["body"]
        assert ev["sender"] == "kyc@nordbank.eu" and len(ev["to"]) == 1 and "cc" not in ev
        assert "https://secure.nordbank.eu/documents/upload" in body or "App" in body or "app" in body
        if "Dokumente" in body or "Kundenportal" in body:
            langs["de"] += 1
        elif "Documentos" in body or "portal seguro" in body:
            langs["es"] += 1
        elif "Documents" in body or "secure customer portal" in body:
            langs["en"] += 1
    assert set(langs) == {"de", "es", "en"} and sum(langs.values()) == len(idr["event_ids"])
    # the agents' secure-channel pointers: 5-10% of their customer replies, all in the customer's language
    agents = {e["sender"] for e in events if "." in e["sender"].split("@")[0]}
    sc_ids = {i for e in labels["negatives"] if e["name"] == "secure-channel" for i in e["event_ids"]}
    replies = [e for e in events if e["sender"] in agents and not e["to"][0].endswith("@nordbank.eu")]
    unique = {e["event_id"] for e in replies}
    assert 0.04 < len(sc_ids) / len(unique) < 0.11
    assert any("PIN" in e["body"] and e["event_id"] not in sc_ids for e in replies)
    assert all(e.get("thread_id") and e.get("in_reply_to") for e in replies)
    internal = [e for e in events if e["sender"] in agents and e["to"][0].endswith("@nordbank.eu")]
    assert internal


# --------------------------------------------------------------------------- #
# delivery artefacts
# --------------------------------------------------------------------------- #


def test_events_are_in_arrival_order_not_ts_order():
    events, _ = _gen("bank-baseline")
    ts = [_ts(e) for e in events]
    assert ts != sorted(ts)
    inversions = sum(1 for a, b in zip(ts, ts[1:]) if b < a)
    assert 0.005 * len(ts) < inversions < 0.05 * len(ts)


def test_redelivered_events_reappear_identical_and_later():
    events, labels = _gen("bank-baseline")
    positions: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(events):
        positions[e["event_id"]].append(i)
    redelivered = [e for e in labels["negatives"] if e["name"] == "redelivery"]
    runs = [e for e in redelivered if e["sender"]]
    retries = [e for e in redelivered if e["sender"] is None]
    assert runs and retries
    all_ids = [i for e in redelivered for i in e["event_ids"]]
    assert len(all_ids) == len(set(all_ids))
    dup = {eid for eid, pos in positions.items() if len(pos) > 1}
    assert dup == set(all_ids)  # exactly the labelled ones appear twice
    assert all(len(positions[i]) == 2 for i in all_ids)
    n_unique = len(positions)
    assert 0.004 < len(all_ids) / n_unique < 0.015
    for eid in all_ids:
        first, second = positions[eid]
        assert orjson.dumps(events[first]) == orjson.dumps(events[second])
        assert events[first] is not events[second]
    for run in runs:  # a replayed contiguous run of one sender, in ts order, minutes to hours later
        ids = run["event_ids"]
        assert 20 <= len(ids) <= 2000
        assert all(events[positions[i][0]]["sender"] == run["sender"] for i in ids)
        second = [positions[i][1] for i in ids]
        assert second == sorted(second)
        own = list(dict.fromkeys(eid for _, eid in sorted((_ts(e), e["event_id"]) for e in events
                                                          if e["sender"] == run["sender"])))
        k = own.index(ids[0])
        assert own[k:k + len(ids)] == ids  # contiguous among the sender's messages
        last_original = max(positions[i][0] for i in ids)
        assert second[0] > last_original  # the whole run is delivered again after it was first delivered
        nxt = [_ts(e) for e in events[second[-1] + 1:] if e["event_id"] not in dup][:1]
        if nxt:  # ... and at least minutes later
            assert nxt[0] >= run["end_ts"] + 240 - 1e-3
    for i in retries[0]["event_ids"]:  # webhook retries: shortly after
        first, second = positions[i]
        t = _ts(events[first])
        later = [_ts(e) for e in events[second - 5:second]]
        assert max(later) - t < 600


def test_late_events_are_out_of_ts_order_by_1_to_15_minutes():
    events, labels = _gen("bank-baseline")
    late = [e for e in labels["negatives"] if e["name"] == "late"]
    assert len(late) == 1 and late[0]["sender"] is None
    late_ids = set(late[0]["event_ids"])
    n_unique = len({e["event_id"] for e in events})
    assert 0.006 < len(late_ids) / n_unique < 0.014
    seen: set[str] = set()
    plain: list[tuple[int, float]] = []  # (position, ts) of on-time first deliveries
    where: dict[str, int] = {}
    for pos, e in enumerate(events):
        eid = e["event_id"]
        first = eid not in seen
        seen.add(eid)
        if first and eid not in late_ids:
            plain.append((pos, _ts(e)))
        if first:
            where[eid] = pos
    plain_pos = [p for p, _ in plain]
    out_of_order = 0
    for eid in late_ids:
        pos, t = where[eid], _ts(events[where[eid]])
        k = bisect.bisect_left(plain_pos, pos)
        prev_ts = plain[k - 1][1] if k > 0 else None
        next_ts = plain[k][1] if k < len(plain) else None
        if prev_ts is not None:
            assert prev_ts <= t + 900 + 1e-3
            out_of_order += prev_ts > t
        if next_ts is not None:
            assert next_ts >= t + 60 - 1e-3
    assert out_of_order > 0.9 * len(late_ids)
    retried = {i for e in labels["negatives"] if e["name"] == "redelivery" and e["sender"] is None
               for i in e["event_ids"]}
    assert late_ids.isdisjoint(retried)  # a late event may be in a replayed run, never retried


# --------------------------------------------------------------------------- #
# local time and the summer-time change
# --------------------------------------------------------------------------- #


def _first_per_local_day(events: list[dict], sender: str, template: str | None = None) -> dict[date, float]:
    first: dict[date, float] = {}
    for e in events:
        if e["sender"] == sender and (template is None or template in e["subject"] or template in e["body"]):
            t = _ts(e)
            d = _local_date(t)
            first[d] = min(first.get(d, t), t)
    return first


def test_seven_oclock_local_senders_move_one_utc_hour_across_the_change():
    events, labels = _gen("bank-baseline")
    assert labels["incident_day"] == "2025-04-09"
    first = _first_per_local_day(events, "marketing@nordbank.eu")
    assert sorted(first) == [date(2025, 3, 18), date(2025, 3, 25), date(2025, 4, 1), date(2025, 4, 8)]
    for d, t in first.items():
        utc = datetime.fromtimestamp(t, timezone.utc)
        local = datetime.fromtimestamp(t, BERLIN)
        assert local.hour == 7 and local.minute < 5
        assert utc.hour == (6 if d < date(2025, 3, 30) else 5)
    # the statement runs of 1 March and 1 April, both at 07:00 local
    events, labels = _gen("bank-statement-run")
    assert labels["incident_day"] == "2025-04-01"
    assert _local_date(labels["start_ts"]) <= date(2025, 2, 28)
    runs = {}
    for e in events:
        if e["sender"] == "statements@nordbank.eu" and e.get("attachments"):
            t = _ts(e)
            d = _local_date(t)
            if d.day == 1:
                runs[d] = min(runs.get(d, t), t)
    assert sorted(runs) == [date(2025, 3, 1), date(2025, 4, 1)]
    assert datetime.fromtimestamp(runs[date(2025, 3, 1)], timezone.utc).hour in (5, 6)
    assert datetime.fromtimestamp(runs[date(2025, 3, 1)], BERLIN).hour in (6, 7)
    assert datetime.fromtimestamp(runs[date(2025, 4, 1)], timezone.utc).hour in (4, 5)
    assert datetime.fromtimestamp(runs[date(2025, 4, 1)], BERLIN).hour in (6, 7)


def test_daily_profile_follows_local_time():
    events, _ = _gen("bank-baseline", 1, 28, 0.05)
    before, after = Counter(), Counter()
    for e in events:
        if e["sender"] == "cards@nordbank.eu":
            t = _ts(e)
            (before if _local_date(t) < date(2025, 3, 30) else after)[datetime.fromtimestamp(t, timezone.utc).hour] += 1
    # the night trough (04:00 local) is at 03 UTC in winter and 02 UTC in summer
    assert min(range(24), key=lambda h: before[h]) in (2, 3)
    assert min(range(24), key=lambda h: after[h]) in (1, 2)


# --------------------------------------------------------------------------- #
# the incidents
# --------------------------------------------------------------------------- #


def _incident(scenario: str, **kw):
    events, labels = _gen(scenario, **kw)
    inc = labels["incidents"][0]
    by_id = _by_id(events)
    return events, labels, inc, [by_id[i] for i in inc["event_ids"]]


def test_changed_template_keeps_id_and_subject_and_asks_for_passport_and_iban():
    events, labels, inc, msgs = _incident("bank-changed-template")
    assert inc["sender"] == "alerts@nordbank.eu" and inc["template_id"] == "account_update"
    assert 250 <= len(msgs) <= 400 and 3 * 3600 <= inc["end_ts"] - inc["start_ts"] <= 6 * 3600
    ids = set(inc["event_ids"])
    earlier = [e for e in events if e["sender"] == "alerts@nordbank.eu" and e["event_id"] not in ids
               and e.get("template_id") == "account_update"]
    assert _local_date(min(_ts(e) for e in earlier)) == _local_date(labels["start_ts"])  # sent since the start
    old_subjects = {e["subject"] for e in earlier}
    assert {e["subject"] for e in msgs} <= old_subjects and len(old_subjects) == 3  # one per language
    assert all(e.get("template_id", "account_update") == "account_update" for e in msgs)
    assert any("template_id" in e for e in msgs)
    langs = Counter()
    for e in msgs:
        assert len(e["to"]) == 1 and "cc" not in e
        b = e["body"]
        if "Reisepass" in b:
            assert "IBAN" in b and ("antworten Sie" in b or "Antwort" in b)
            langs["de"] += 1
        elif "pasaporte" in b:
            assert "IBAN" in b and "respond" in b
            langs["es"] += 1
        else:
            assert "passport" in b and "IBAN" in b and "reply" in b
            langs["en"] += 1
    assert set(langs) == {"de", "es", "en"}
    assert not any("Reisepass" in e["body"] or "passport" in e["body"] for e in earlier)
    # the normal notices of that window were replaced, not doubled
    window = [e for e in earlier if inc["start_ts"] <= _ts(e) <= inc["end_ts"]]
    assert not window


def test_loop_hits_one_external_recipient_hundreds_of_times():
    events, labels, inc, msgs = _incident("bank-loop")
    assert inc["sender"] == "service@nordbank.eu" and inc["template_id"] == "ticket_ack"
    assert 300 <= len(msgs) <= 600
    assert 15 * 60 <= inc["end_ts"] - inc["start_ts"] <= 25 * 60
    assert len({tuple(e["to"]) for e in msgs}) == 1 and len(msgs[0]["to"]) == 1
    assert not msgs[0]["to"][0].endswith("@nordbank.eu")
    assert len({(e["subject"], e["body"]) for e in msgs}) == 1
    assert len({e["thread_id"] for e in msgs}) == 1
    # plus its normal traffic
    normal = [e for e in events if e["sender"] == "service@nordbank.eu" and e["event_id"] not in set(inc["event_ids"])]
    assert len({e["to"][0] for e in normal}) > 100


def test_compromised_agent_phishes_customers_it_never_mailed():
    events, labels, inc, msgs = _incident("bank-compromised-agent")
    agent = inc["sender"]
    assert labels["compromised_sender"] == agent and inc["template_id"] is None
    assert 180 <= len(msgs) <= 220 and 25 * 60 <= inc["end_ts"] - inc["start_ts"] <= 60 * 60
    ids = set(inc["event_ids"])
    before = set()
    for e in events:
        if e["sender"] == agent and e["event_id"] not in ids:
            before.update(e["to"])
            before.update(e.get("cc", ()))
    assert before  # a real agent with a history
    assert all(len(e["to"]) == 1 and e["to"][0] not in before for e in msgs)
    assert len({e["to"][0] for e in msgs}) == len(msgs)
    assert not any("template_id" in e for e in msgs)
    assert all(e.get("sender_kind", "human") == "human" for e in msgs)
    assert all("https://" in e["body"] and ("Passwort" in e["body"] or "contraseña" in e["body"]
                                           or "password" in e["body"]) for e in msgs)


def test_id_blast_is_a_new_template_to_groups_of_customers():
    events, labels, inc, msgs = _incident("bank-id-blast")
    assert inc["sender"] == "noreply@nordbank.eu" and inc["template_id"] == "id_verification"
    assert 200 <= len(msgs) <= 350
    ids = set(inc["event_ids"])
    assert not any(e.get("template_id") == "id_verification" for e in events if e["event_id"] not in ids)
    for e in msgs:
        rcpts = e["to"] + e.get("cc", [])
        assert 3 <= len(set(rcpts)) <= 8 and e.get("cc")
        assert not any(r.endswith("@nordbank.eu") for r in rcpts)
    bodies = " ".join(e["body"] for e in msgs)
    assert "Personalausweis" in bodies and "DNI" in bodies and "ID card" in bodies


def test_incidents_keep_their_size_whatever_the_scale():
    for scenario in ("bank-loop", "bank-id-blast", "bank-compromised-agent"):
        a = _gen(scenario, 1, 1, 0.02)[1]["incidents"][0]
        b = _gen(scenario, 1, 1, 0.05)[1]["incidents"][0]
        assert abs(len(a["event_ids"]) - len(b["event_ids"])) <= 0.02 * len(a["event_ids"]) + 2


# --------------------------------------------------------------------------- #
# the hard negatives
# --------------------------------------------------------------------------- #


def test_statement_run_is_large_short_and_one_customer_each():
    events, labels = _gen("bank-statement-run", 1, 28, 0.1)
    run = labels["negatives"][0]
    assert run["name"] == "bank-statement-run" and run["sender"] == "statements@nordbank.eu"
    assert 1000 <= len(run["event_ids"]) <= 2000  # 10-20 thousand at scale 1
    assert run["end_ts"] - run["start_ts"] <= 2.5 * 3600
    by_id = _by_id(events)
    for i in run["event_ids"]:
        e = by_id[i]
        assert len(e["to"]) == 1 and e["attachments"][0]["content_type"] == "application/pdf"


def test_surge_is_five_to_eight_times_the_usual_rate():
    events, labels = _gen("bank-surge", 1, 7, 0.05)
    surge = labels["negatives"][0]
    assert surge["name"] == "bank-surge" and surge["template_id"] == "card_payment"
    lo, hi = surge["start_ts"] + 1800, surge["end_ts"] - 1800
    payments = {e["event_id"]: _ts(e) for e in events if e["sender"] == "cards@nordbank.eu"
                and e.get("template_id", "card_payment") == "card_payment"}
    week_before = [t for t in payments.values() if lo - 7 * 86400 <= t < hi - 7 * 86400]
    during = [t for t in payments.values() if lo <= t < hi]
    ratio = len(during) / max(1, len(week_before))
    assert 4.0 < ratio < 9.5
    by_id = _by_id(events)
    assert all(len(by_id[i]["to"]) == 1 for i in surge["event_ids"])


def test_scheduled_run_is_ten_to_twenty_times_the_peak():
    events, labels = _gen("bank-scheduled-run", 1, 28, 0.2)
    run = labels["negatives"][0]
    assert run["name"] == "bank-scheduled-run" and run["sender"] == "info@nordbank.eu"
    ids = set(run["event_ids"])
    hourly = Counter(int(_ts(e) // 3600) for e in {e["event_id"]: e for e in events
                                                   if e["sender"] == "info@nordbank.eu"
                                                   and e["event_id"] not in ids}.values())
    peak = max(hourly.values())
    rate = len(ids) / ((run["end_ts"] - run["start_ts"]) / 3600)
    assert 8 * peak <= rate <= 22 * peak
    by_id = _by_id(events)
    assert all(len(by_id[i]["to"]) == 1 for i in ids)
    assert {by_id[i].get("template_id", "terms_update") for i in ids} == {"terms_update"}


def test_baseline_has_no_incident():
    _, labels = _gen("bank-baseline", 1, 2)
    assert labels["incidents"] == []
    assert labels["negatives"][0]["name"] == "bank-baseline" and labels["negatives"][0]["event_ids"] == []


# --------------------------------------------------------------------------- #
# simulate
# --------------------------------------------------------------------------- #


def test_simulate_writes_events_labels_and_truth(tmp_path):
    labels = simulate("bank-loop", 3, tmp_path, days=1, scale=SMALL)
    events, again = generate("bank-loop", 3, days=1, scale=SMALL)
    assert orjson.loads((tmp_path / "labels.json").read_bytes()) == orjson.loads(orjson.dumps(labels))
    assert labels == again
    lines = (tmp_path / "events.jsonl").read_bytes().splitlines()
    assert [orjson.loads(x) for x in lines] == events
    for x in lines:
        parse_event(x)
    with open(tmp_path / "truth.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["event_id"] for r in rows] == [e["event_id"] for e in events]
    kinds = Counter(r["sender_kind"] for r in rows)
    assert set(kinds) == {"automated", "human"}
    assert sum(r["label"] == "bank-loop" or r["label"].startswith("bank-loop+") for r in rows) == \
        len(labels["incidents"][0]["event_ids"])
    assert any(r["label"] == "redelivery" for r in rows) and any(r["label"].endswith("late") for r in rows)

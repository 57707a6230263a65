"""Tests of the labelled scenario simulator (detectors/sim/shop.py)."""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from datetime import datetime, timezone

import orjson
import pytest

from detectors.events import parse_event
from detectors.sim.shop import FREEMAIL_DOMAINS, SCENARIOS, generate, main, simulate

INCIDENT_NAMES = {"id-request-blast", "compromised-account", "mail-merge-cc"}


def _ts(ev: dict) -> float:
    t = ev["ts"]
    if isinstance(t, str):
        return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    return float(t)


def _day_start(labels: dict) -> float:
    d = datetime.fromisoformat(labels["incident_day"]).replace(tzinfo=timezone.utc)
    return d.timestamp()


@pytest.fixture(scope="module")
def launch_day():
    # 8 warm-up days: five previous weekdays give the sender's normal hourly volume.
    return generate("launch-day", 7, days=8, scale=0.3)


# --------------------------------------------------------------------------- #
# contract, order, determinism
# --------------------------------------------------------------------------- #


def test_every_event_passes_the_contract_and_is_sorted(launch_day):
    events, _ = launch_day
    last = 0.0
    ids = set()
    for ev in events:
        e = parse_event(orjson.dumps(ev))
        assert e.ts >= last
        last = e.ts
        ids.add(e.event_id)
        assert 100 <= len(ev["body"]) <= 3000
    assert len(ids) == len(events)
    # both timestamp forms occur (~10 % strings)
    share = sum(isinstance(ev["ts"], str) for ev in events) / len(events)
    assert 0.05 < share < 0.15


def test_determinism_same_seed_same_files_different_seed_different(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    simulate("launch-day", 3, a, days=1, scale=0.05)
    simulate("launch-day", 3, b, days=1, scale=0.05)
    simulate("launch-day", 4, c, days=1, scale=0.05)
    for name in ("events.jsonl", "labels.json", "truth.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "events.jsonl").read_bytes() != (c / "events.jsonl").read_bytes()


def test_field_omission_shares(launch_day):
    events, _ = launch_day
    templated = [ev for ev in events if ev["sender"].split("@")[0] in
                 ("orders", "shipping", "accounts", "billing", "news", "events")]
    missing = sum("template_id" not in ev for ev in templated) / len(templated)
    assert 0.3 < missing < 0.5
    no_kind = sum("sender_kind" not in ev for ev in events) / len(events)
    assert 0.4 < no_kind < 0.6
    humans = [ev for ev in events if "." in ev["sender"].split("@")[0]]
    assert humans and all("template_id" not in ev for ev in humans)


# --------------------------------------------------------------------------- #
# the id-request blast
# --------------------------------------------------------------------------- #


def test_blast_structure(launch_day):
    events, labels = launch_day
    (blast,) = [i for i in labels["incidents"] if i["name"] == "id-request-blast"]
    assert blast["sender"] == "care@example.com" and blast["template_id"] == "id_verification"
    by_id = {ev["event_id"]: ev for ev in events}
    day0 = _day_start(labels)
    blast_ids = set(blast["event_ids"])
    members = [by_id[i] for i in blast["event_ids"]]
    assert [_ts(e) for e in members] == sorted(_ts(e) for e in members)
    requests = [e for e in members if "in_reply_to" not in e]
    relays = [e for e in members if "in_reply_to" in e]
    assert 250 <= len(requests) <= 350 and 50 <= len(relays) <= 90

    # a new template: nothing like it before the incident day, from anyone
    for ev in events:
        if _ts(ev) < day0:
            assert ev.get("template_id") != "id_verification"
            assert "government-issued ID" not in ev["body"] and "pièce d'identité" not in ev["body"]
    care_before = {ev["subject"].split(" ")[0] for ev in events if ev["sender"] == "care@example.com" and _ts(ev) < day0}
    assert "Action" not in care_before

    t0 = _ts(requests[0])
    assert sum(_ts(e) - t0 <= 600 for e in requests) >= 15  # ramps up quickly
    assert _ts(requests[-1]) - t0 <= 2.5 * 3600
    for e in requests:
        to = e["to"]
        assert 3 <= len(set(to)) == len(to) <= 8
        assert all(a.rpartition("@")[2] in FREEMAIL_DOMAINS for a in to)
        assert not e.get("cc") and not e.get("attachments")
        assert e["thread_id"]
    langs = {("identité" in e["body"]) for e in requests}
    assert langs == {True, False}  # English and some French

    request_by_id = {e["event_id"]: e for e in requests}
    assert min(_ts(e) for e in relays) - t0 >= 15 * 60
    for e in relays:
        orig = request_by_id[e["in_reply_to"]]
        assert e["in_reply_to"] in blast_ids
        assert _ts(e) > _ts(orig)
        assert e["thread_id"] == orig["thread_id"]
        assert e["subject"] == "Re: " + orig["subject"]
        assert sorted(e["to"]) == sorted(orig["to"])
        assert e["attachments"] and all(
            a["content_type"] == "image/jpeg" and a["filename"].startswith("IMG_") and 1_000_000 <= a["size"] <= 4_000_000
            for a in e["attachments"])


# --------------------------------------------------------------------------- #
# the launch ramp (hard negative)
# --------------------------------------------------------------------------- #


def test_launch_ramp_reaches_8_to_10x_normal_hourly_volume(launch_day):
    events, labels = launch_day
    day0 = _day_start(labels)
    ramp = [n for n in labels["negatives"] if n["name"] == "launch-ramp"]
    assert {n["sender"] for n in ramp} == {"orders@example.com", "shipping@example.com"}
    (orders,) = [n for n in ramp if n["sender"] == "orders@example.com"]
    assert orders["template_id"] == "order_confirmation"
    # blast starts a few hours into the ramp
    (blast,) = labels["incidents"]
    assert orders["start_ts"] + 2 * 3600 < blast["start_ts"] < orders["start_ts"] + 8 * 3600

    counts: dict[tuple[int, int], int] = defaultdict(int)  # (day index, hour) -> orders
    for ev in events:
        if ev["sender"] == "orders@example.com":
            t = _ts(ev)
            counts[(int((t - day0) // 86400), int((t % 86400) // 3600))] += 1
    weekdays = [d for d in range(-8, 0)
                if datetime.fromtimestamp(day0 + d * 86400, timezone.utc).weekday() < 5]
    assert len(weekdays) >= 4
    plateau = range(11, 18)
    normal = {h: statistics.mean(counts[(d, h)] for d in weekdays) for h in plateau}
    ratios = [counts[(0, h)] / normal[h] for h in plateau]
    overall = sum(counts[(0, h)] for h in plateau) / sum(normal.values())
    assert 8.0 <= overall <= 10.0, (overall, ratios)
    assert all(6.5 <= r <= 11.5 for r in ratios), ratios
    # gradual: the first ramp hour is well below the plateau
    assert counts[(0, 7)] / statistics.mean(counts[(d, 7)] for d in weekdays) < 5
    # every labelled ramp event is an order confirmation with one recipient
    by_id = {ev["event_id"]: ev for ev in events}
    for i in orders["event_ids"][:500]:
        ev = by_id[i]
        assert len(ev["to"]) == 1 and not ev.get("cc") and ev["sender"] == "orders@example.com"


# --------------------------------------------------------------------------- #
# the other scenarios
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != "launch-day"])
def test_each_scenario_is_labelled(scenario):
    days = 8 if scenario == "newsletter" else 1
    events, labels = generate(scenario, 11, days=days, scale=0.04)
    assert labels["scenario"] == scenario and labels["internal_domains"] == ["example.com"]
    by_id = {ev["event_id"]: ev for ev in events}
    day0 = _day_start(labels)
    assert datetime.fromtimestamp(day0, timezone.utc).weekday() < 5
    groups = labels["incidents"] + labels["negatives"]
    assert groups
    for g in groups:
        assert (g["name"] in INCIDENT_NAMES) == (g in labels["incidents"])
        ts = [_ts(by_id[i]) for i in g["event_ids"]]
        assert ts == sorted(ts)
        if ts:
            assert ts[0] >= day0 and g["start_ts"] == ts[0] and g["end_ts"] == ts[-1]
    names = {g["name"] for g in groups}
    expected = {"launch-ramp": {"launch-ramp"}, "all-hands": {"all-hands"}}.get(scenario, {scenario})
    assert names == expected
    big = [g for g in groups if g["event_ids"]]
    first = by_id[big[0]["event_ids"][0]] if big else None

    if scenario == "compromised-account":
        (g,) = labels["incidents"]
        sender = g["sender"]
        before = {a for ev in events if ev["sender"] == sender and _ts(ev) < g["start_ts"]
                  for a in ev["to"] + ev.get("cc", [])}
        assert 350 <= len(g["event_ids"]) <= 450 and g["end_ts"] - g["start_ts"] <= 3600
        for i in g["event_ids"]:
            ev = by_id[i]
            assert 1 <= len(ev["to"]) <= 2 and not (set(ev["to"]) & before)
            assert not any(a.endswith("@example.com") for a in ev["to"])
            assert "bank account details" in ev["body"]
    elif scenario == "mail-merge-cc":
        (g,) = labels["incidents"]
        assert 35 <= len(g["event_ids"]) <= 45 and g["end_ts"] - g["start_ts"] <= 1800
        assert all(30 <= len(by_id[i]["cc"]) <= 65 for i in g["event_ids"])
        # established template: the same sender used it before the incident
        assert any(ev["sender"] == g["sender"] and _ts(ev) < g["start_ts"] for ev in events)
    elif scenario == "all-hands":
        (g,) = labels["negatives"]
        n = len(set(first["to"]) | set(first.get("cc", [])))
        assert 400 <= n <= 800 and all(a.endswith("@example.com") for a in first["to"] + first["cc"])
        replies = [by_id[i] for i in g["event_ids"][1:]]
        assert replies and all(r["in_reply_to"] == first["event_id"] for r in replies)
    elif scenario == "newsletter":
        (g,) = labels["negatives"]
        assert datetime.fromtimestamp(day0, timezone.utc).weekday() == 1
        assert g["end_ts"] - g["start_ts"] <= 1800 and len(g["event_ids"]) >= 100
        earlier = [ev for ev in events if ev["sender"] == "news@example.com" and _ts(ev) < day0]
        assert len(earlier) >= 100  # last week's burst is in the warm-up
    elif scenario == "baseline":
        assert labels["incidents"] == [] and all(not g["event_ids"] for g in groups)


def test_invoice_run_has_previous_month_end_in_warm_up():
    events, labels = generate("invoice-run", 2, days=32, scale=0.03)
    (g,) = labels["negatives"]
    assert g["sender"] == "billing@example.com" and g["template_id"] == "invoice"
    assert labels["incident_day"] == "2017-08-31"
    per_day: dict[str, int] = defaultdict(int)
    for ev in events:
        if ev["sender"] == "billing@example.com":
            per_day[datetime.fromtimestamp(_ts(ev), timezone.utc).date().isoformat()] += 1
    others = [v for k, v in per_day.items() if k not in ("2017-07-31", "2017-08-31")]
    assert per_day["2017-07-31"] > 5 * max(others) and per_day["2017-08-31"] > 5 * max(others)
    assert len(g["event_ids"]) > 0.9 * (per_day["2017-08-31"] - max(others))


def test_small_launch_day_for_the_demo_contains_ramp_and_blast():
    events, labels = generate("launch-day", 1, days=3, scale=0.2)
    assert 2000 <= len(events) <= 15000
    assert {g["name"] for g in labels["incidents"]} == {"id-request-blast"}
    assert "launch-ramp" in {g["name"] for g in labels["negatives"]}


# --------------------------------------------------------------------------- #
# files and CLI
# --------------------------------------------------------------------------- #


def test_cli_writes_the_three_files(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["--scenario", "mail-merge-cc", "--seed", "5", "--out", str(out), "--days", "1", "--scale", "0.05"])
    assert rc == 0
    lines = (out / "events.jsonl").read_bytes().splitlines()
    events = [orjson.loads(x) for x in lines]
    labels = orjson.loads((out / "labels.json").read_bytes())
    with open(out / "truth.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["event_id", "template", "sender_kind", "label"]
    assert [r["event_id"] for r in rows] == [ev["event_id"] for ev in events]
    assert labels["seed"] == 5 and labels["days"] == 1 and labels["scale"] == 0.05
    labelled = {r["event_id"]: r["label"] for r in rows if r["label"]}
    assert set(labelled) == {i for g in labels["incidents"] for i in g["event_ids"]}
    assert set(labelled.values()) == {"mail-merge-cc"}
    assert all(r["template"] == "event_reminder" for r in rows if r["label"])
    assert {r["sender_kind"] for r in rows} == {"automated", "human"}
    human_tpl = [r["template"] for r in rows if r["sender_kind"] == "human"]
    assert all(t == "free:" + i for t, i in zip(human_tpl, (r["event_id"] for r in rows if r["sender_kind"] == "human")))
    # truth kinds agree with the optional sender_kind field when present
    kinds = {r["event_id"]: r["sender_kind"] for r in rows}
    assert all(ev["sender_kind"] == kinds[ev["event_id"]] for ev in events if "sender_kind" in ev)
    # template ids, when present, are the true template
    tpls = {r["event_id"]: r["template"] for r in rows}
    assert all(ev["template_id"] == tpls[ev["event_id"]] for ev in events if "template_id" in ev)


def test_cli_rejects_unknown_scenario_and_lists(tmp_path, capsys):
    assert main(["--scenario", "nope", "--seed", "1", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and all(name in err for name in SCENARIOS)
    assert not (tmp_path / "x").exists()
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SCENARIOS)
    assert main(["simulate", "--list"]) == 0


def test_generate_rejects_unknown_scenario():
    with pytest.raises(ValueError, match="valid scenarios"):
        generate("nope", 1)


def test_simulate_command_writes_the_bank_world_too(tmp_path, capsys):
    from detectors.sim.shop import main as simulate_main

    assert simulate_main(["--scenario", "bank-loop", "--seed", "1", "--days", "1", "--scale", "0.05",
                          "--out", str(tmp_path)]) == 0
    labels = json.loads((tmp_path / "labels.json").read_text())
    assert labels["world"] == "bank" and labels["timezone"] == "Europe/Berlin"
    assert [i["name"] for i in labels["incidents"]] == ["bank-loop"]
    assert simulate_main(["--list"]) == 0
    assert "bank-changed-template" in capsys.readouterr().out

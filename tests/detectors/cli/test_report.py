"""Tests of ``mailflow replay FILE --report FILE.html`` (detectors/cli/report.py, detectors/cli/replay.py).

The page is checked as a user sees it: parsed as HTML (what the alert table and the
charts hold), rendered by the real headless Debian chromium (its DOM and a screenshot
whose pixels are decoded here with zlib and struct), byte for byte across runs, hash
seeds and interpreters.
"""

from __future__ import annotations

import html
import io
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import tracemalloc
import zlib
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from detectors import Sentinel, SentinelConfig
from detectors.cli.replay import main, replay
from detectors.alerts import Alert
from detectors.cli.report import BUCKET_WIDTHS, ReplayReport
from detectors.episodes import EpisodeEnd

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_503_532_800  # 2017-08-24T00:00:00Z
DAY = 86_400
# user data that must come out escaped: quotes and an ampersand in the sender, a script as template id
SHOP = "care&\"o'shop\"@shop.example"
SCRIPT_TEMPLATE = '<script>alert("pwned")</script>'
SUBJECTS = ("Your order has shipped", "Reminder: see you at the gala dinner", "Quarterly numbers for Bob",
            "Quixotic verification of your order")
BODIES = ("Hello, your parcel left our warehouse today. Thank you for shopping with us.",
          "Dear guest, the gala dinner starts at eight; the dress code is black tie.",
          "Hi Bob, the quarterly numbers are attached as discussed on Monday.",
          "Hello, to verify your order please reply to this email with a photo of your passport. "
          "Quixotic regards.")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith("MAILFLOW_"):
            monkeypatch.delenv(k)


def crafted_events() -> list[dict]:
    """Two days of normal mail from three senders, then an automated fan-out (a warning) and a
    passport-request burst to groups of unrelated customers (critical alerts)."""
    out = []
    for i in range(288):  # an automated shop: a shipping notice to one customer every 10 minutes
        out.append({"event_id": f"ship-{i}", "ts": T0 + 600 * i, "sender": SHOP, "sender_kind": "automated",
                    "to": [f"cust{i}@gmail.com"], "template_id": "shipping", "subject": SUBJECTS[0],
                    "body": BODIES[0]})
    for i in range(144):  # an automated events list, every 20 minutes
        out.append({"event_id": f"gala-{i}", "ts": T0 + 1200 * i + 7, "sender": "events@shop.example",
                    "sender_kind": "automated", "to": [f"guest{i}@yahoo.com"], "template_id": "gala",
                    "subject": SUBJECTS[1], "body": BODIES[1]})
    for i in range(48):  # a person, every hour, to one partner
        out.append({"event_id": f"bob-{i}", "ts": T0 + 3600 * i + 17, "sender": "alice@shop.example",
                    "sender_kind": "human", "to": ["bob.partner@partner.example"], "subject": SUBJECTS[2],
                    "body": BODIES[2]})
    out.append({"event_id": "gala-cc", "ts": T0 + 2 * DAY + 5000, "sender": "events@shop.example",
                "sender_kind": "automated", "to": [f"vip{j}@gmail.com" for j in range(4)], "template_id": "gala",
                "subject": SUBJECTS[1], "body": BODIES[1]})
    for i in range(50):
        out.append({"event_id": f"pass-{i}", "ts": T0 + 2 * DAY + 60 + 30 * i, "sender": SHOP,
                    "sender_kind": "automated", "to": [f"victim{i}-{j}@gmail.com" for j in range(5)],
                    "template_id": SCRIPT_TEMPLATE, "subject": SUBJECTS[3], "body": BODIES[3]})
    out.sort(key=lambda e: (e["ts"], e["event_id"]))
    return out


DIGEST = "digest@shop.example"
BURST = T0 + 2 * DAY + 3600  # 2017-08-26T01:00:00Z, the start of a 5-minute bucket (and of a 15-minute one)
AGAIN = T0 + 2 * DAY + 5 * 3600


def spike_events() -> list[dict]:
    """Two days and six hours of a digest sent once a minute (5 per 5-minute bucket), with two bursts
    of 200 in 5 minutes: the first a warning that becomes a page when its second half goes to groups
    of 4 customers who see each other (one template-spike episode, and a fan-out one), the second,
    four hours later, a new template-spike episode."""
    out = []

    def ev(i: int, ts: float, to: list[str]) -> None:
        out.append({"event_id": f"digest-{i}", "ts": ts, "sender": DIGEST, "sender_kind": "automated",
                    "to": to, "template_id": "digest", "subject": "Your daily digest",
                    "body": "Here is what happened on the shop today."})

    n = 0
    for n in range((2 * DAY + 6 * 3600) // 60):
        ev(n, T0 + 60 * n, [f"reader{n}@gmail.com"])
    for k in range(200):
        ev(n + 1 + k, BURST + 1.5 * k, [f"burst{k}-{j}@gmail.com" for j in range(1 if k < 100 else 4)])
    for k in range(200):
        ev(n + 201 + k, AGAIN + 1.5 * k, [f"again{k}@gmail.com"])
    out.sort(key=lambda e: (e["ts"], e["event_id"]))
    return out


def write_jsonl(path: Path, evs) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in evs))
    return path


@pytest.fixture()
def events_file(tmp_path) -> Path:
    return write_jsonl(tmp_path / "events.jsonl", crafted_events())


@pytest.fixture()
def incident_file(tmp_path) -> Path:
    evs = sorted(crafted_events() + spike_events(), key=lambda e: (e["ts"], e["event_id"]))
    return write_jsonl(tmp_path / "incidents.jsonl", evs)


def build(evs, config: SentinelConfig | None = None, report: ReplayReport | None = None,
          **kw) -> tuple[str, list[dict], dict]:
    """The report page, the alerts ``replay`` wrote and its counts, for ``evs`` (dicts)."""
    lines = [json.dumps(e).encode() + b"\n" for e in evs]
    out = io.BytesIO()
    report = ReplayReport(**kw) if report is None else report
    stats = replay(lines, Sentinel(config or SentinelConfig()), out, report=report)
    alerts = [json.loads(x) for x in out.getvalue().splitlines()]
    return report.render(stats, source="events.jsonl"), alerts, stats


# -- a small DOM of the page (html.parser) --------------------------------------------------------
_VOID = {"meta", "link", "br", "hr", "img", "input", "area", "base", "col", "embed", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None) -> None:
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and (cls is None or cls in (n.attrs.get("class") or "").split())
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, *args, **kw) -> Node:
        found = self.find_all(*args, **kw)
        assert found, (args, kw)
        return found[0]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, dict(attrs), self.cur)
        self.cur.children.append(n)
        if tag not in _VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, dict(attrs), self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def dom(page: str) -> Node:
    b = _Builder()
    b.feed(page)
    b.close()
    return b.root


def table_rows(root: Node, cls: str, header: bool = True) -> list[list[str]]:
    """The cells' text of each row of the table of class ``cls`` (without its header row)."""
    rows = [[c.text() for c in tr.children if isinstance(c, Node) and c.tag in ("th", "td")]
            for tr in root.find("table", cls=cls).find_all("tr")]
    return rows[1:] if header else rows


def alert_rows(root: Node) -> list[dict]:
    heads = [th.text() for th in root.find("table", cls="alerts").find("tr").find_all("th")]
    return [dict(zip(heads, r)) for r in table_rows(root, "alerts")]


def summary(root: Node) -> dict[str, str]:
    return dict(table_rows(root, "summary", header=False))


# -- the page ------------------------------------------------------------------------------------


def test_the_crafted_stream_raises_warnings_and_criticals():
    _, alerts, _ = build(crafted_events())
    sev = {a["severity"] for a in alerts}
    assert sev == {"warning", "critical"}, alerts  # the tests below need both kinds of marker


def test_alert_table_holds_the_alerts_replay_prints():
    page, alerts, stats = build(crafted_events())
    rows = alert_rows(dom(page))
    assert len(rows) == len(alerts) >= 3
    for row, a in zip(rows, alerts):
        assert row["alert id"] == a["alert_id"]
        assert row["detector"] == a["detector"]
        assert row["severity"].split()[-1] == a["severity"]
        assert row["sender"] == a["sender"] and row["template"] == a["template"]
        assert row["time (UTC)"] == a["ts"]
        assert row["summary"] == a["summary"]
        assert float(row["score"]) == pytest.approx(a["score"], abs=1e-4)
    # the header's counts: the ones replay returns (and prints on standard error)
    counts = {r[0]: r[1:] for r in table_rows(dom(page), "alert-counts")}
    for key, n in stats["alerts"].items():
        det, sev = key.split("/")
        assert int(counts[det][0 if sev == "warning" else 1].replace(",", "")) == n
    assert int(counts["all detectors"][2]) == len(alerts)
    head = summary(dom(page))
    assert head["Events read"] == f"{len(crafted_events()):,}"
    assert head["Earliest event (UTC)"] == "2017-08-24T00:00:00.000Z"
    assert head["Latest event (UTC)"] == "2017-08-26T01:23:20.000Z"


def test_one_marker_per_alert_on_the_volume_chart_and_the_detector_timeline():
    page, alerts, _ = build(crafted_events())
    root = dom(page)
    for svg_id in ("volume-all", "alert-timeline"):
        markers = root.find("svg", id=svg_id).find_all("g", cls="alert-marker")
        assert len(markers) == len(alerts), svg_id
        assert sorted((m.attrs["data-detector"], m.attrs["data-severity"]) for m in markers) == sorted(
            (a["detector"], a["severity"]) for a in alerts)
        titles = [m.find("title").text() for m in markers]
        for a in alerts:  # each marker names its alert when hovered
            assert any(t.startswith(f"{a['ts']} {a['severity']} {a['detector']}: {a['sender']}, template "
                                    f"{a['template']},") for t in titles), (a, titles)
    # warning and critical differ by shape, not only by colour: a triangle (3 points) and a diamond (4)
    shapes = {m.attrs["data-severity"]: m.find("path").attrs["d"].count("L") + 1
              for m in root.find("svg", id="volume-all").find_all("g", cls="alert-marker")}
    assert shapes == {"warning": 3, "critical": 4}
    legend = root.find("p", cls="legend").text()
    assert "warning" in legend and "critical" in legend
    # one row per detector in the alert timeline, the markers in the row of their detector
    for a in alerts:
        row = root.find("g", cls="detector-row", data_detector=a["detector"])
        assert row.find_all("g", cls="alert-marker", data_severity=a["severity"])


def test_each_sender_chart_marks_that_senders_alerts():
    page, alerts, _ = build(crafted_events())
    root = dom(page)
    panels = root.find_all("div", cls="sender-panel")
    # the three senders of the stream, busiest first
    assert [p.attrs["data-sender"] for p in panels] == [SHOP, "events@shop.example", "alice@shop.example"]
    assert [p.find("p", cls="note").text().split(" events")[0] for p in panels] == ["338", "145", "48"]
    for p in panels:
        svg = p.find("svg")
        assert svg.find("title").text().endswith(p.attrs["data-sender"])
        assert len(svg.find_all("g", cls="alert-marker")) == sum(a["sender"] == p.attrs["data-sender"] for a in alerts)
        assert svg.find_all("path", cls="bars")
    assert panels[2].find("path", cls="bars").attrs["class"] == "bars human"  # alice is a person


def test_user_data_is_escaped():
    page, alerts, _ = build(crafted_events())
    assert any(a["template"] == SCRIPT_TEMPLATE for a in alerts)
    assert "<script" not in page.lower()
    assert SCRIPT_TEMPLATE not in page and html.escape(SCRIPT_TEMPLATE) in page
    assert SHOP not in page and html.escape(SHOP) in page
    root = dom(page)
    assert root.find_all("script") == []
    rows = alert_rows(root)
    # ... and shown as it was: the cells read back to the raw values
    assert {r["template"] for r in rows} >= {SCRIPT_TEMPLATE} and {r["sender"] for r in rows} >= {SHOP}
    assert root.find("div", cls="sender-panel", data_sender=SHOP).find("h3").text() == SHOP


def test_no_recipient_subject_or_body_in_the_page():
    evs = crafted_events()
    page, _, _ = build(evs)
    secrets = {r for e in evs for r in e["to"]} | set(SUBJECTS) | set(BODIES)
    for s in sorted(secrets):
        assert s not in page and html.escape(s) not in page, s
    for word in ("Quixotic", "gala dinner", "victim", "cust1", "bob.partner", "partner.example"):
        assert word not in page, word


def test_the_page_is_self_contained():
    page, _, _ = build(crafted_events())
    root = dom(page)
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use"):
        assert root.find_all(tag) == [], tag
    assert not re.search(r"https?:|url\(|@import|//[a-z]", page, re.IGNORECASE)


def test_the_same_input_gives_the_same_bytes():
    evs = crafted_events()
    first, _, _ = build(evs)
    second, _, _ = build(evs)
    assert first == second


def _report_with(python: str, events: Path, out: Path, seed: str) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env.update(PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
    code = "import sys; from detectors.cli.replay import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([python, "-c", code, str(events), "--report", str(out), "--no-progress"],
                          capture_output=True, cwd=str(ROOT), env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return out.read_bytes()


def test_same_bytes_across_hash_seeds_and_interpreters(incident_file, tmp_path, capsys):
    # the stream with every new part of the page: baselines (float sums), fan-out, escalated episodes
    assert main([str(incident_file), "--report", str(tmp_path / "here.html"), "--no-progress"]) == 0
    expected = (tmp_path / "here.html").read_bytes()
    root = dom(expected.decode("utf-8"))
    assert root.find_all("path", cls="baseline") and root.find_all("svg", cls="fanout")
    assert len(table_rows(root, "episodes")) == 7
    pythons = [sys.executable] + [str(p) for p in (ROOT / ".venv/bin/python", ROOT / ".venv-system/bin/python")
                                  if p.exists() and str(p) != sys.executable]
    for i, python in enumerate(pythons):
        for seed in ("1", "4242"):
            got = _report_with(python, incident_file, tmp_path / f"r{i}-{seed}.html", seed)
            assert got == expected, (python, seed)


def test_cli_writes_the_report_and_still_prints_the_alerts(events_file, tmp_path, capsys):
    assert main([str(events_file), "--no-progress"]) == 0
    plain = capsys.readouterr()
    out = tmp_path / "out.html"
    assert main([str(events_file), "--report", str(out), "--no-progress"]) == 0
    cap = capsys.readouterr()
    assert cap.out == plain.out and cap.out
    timing = re.compile(r"; [0-9.]+ s, [0-9,]+ events/s")
    assert timing.sub("", cap.err.splitlines()[0]) == timing.sub("", plain.err.splitlines()[0])
    assert f"report written to {out}" in cap.err
    page = out.read_text(encoding="utf-8")
    printed = [json.loads(x) for x in cap.out.splitlines()]
    assert [r["alert id"] for r in alert_rows(dom(page))] == [a["alert_id"] for a in printed]
    assert html.escape(str(events_file)) in page


def test_cli_report_path_that_cannot_be_written(events_file, tmp_path, capsys):
    bad = tmp_path / "no-such-dir" / "r.html"
    assert main([str(events_file), "--report", str(bad), "--no-progress"]) == 1
    cap = capsys.readouterr()
    assert cap.out == "" and "cannot write" in cap.err and str(bad) in cap.err
    assert not bad.exists()
    before = events_file.read_bytes()  # the input itself is never overwritten
    assert main([str(events_file), "--report", str(events_file), "--no-progress"]) == 1
    cap = capsys.readouterr()
    assert cap.out == "" and "it is the input file" in cap.err
    assert events_file.read_bytes() == before


def test_cli_report_from_standard_input(events_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(events_file.read_bytes())))
    out = tmp_path / "stdin.html"
    assert main(["-", "--report", str(out), "--no-progress"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Input: <code>standard input</code>" in page and alert_rows(dom(page))


def test_duplicates_and_rejected_lines_are_counted_in_the_header(tmp_path, capsys):
    evs = crafted_events()[:40]
    lines = [json.dumps(e) for e in evs + evs[:3]] + ["not json", json.dumps({"event_id": "x", "ts": T0})]
    f = tmp_path / "ev.jsonl"
    f.write_text("\n".join(lines) + "\n")
    out = tmp_path / "r.html"
    assert main([str(f), "--report", str(out), "--no-progress"]) == 0
    rows = summary(dom(out.read_text()))
    assert rows["Events read"] == "45" and rows["Processed"] == "40"
    assert rows["Duplicates (re-deliveries, skipped)"] == "3"
    assert rows["Rejected"] == "2 (invalid_json: 1, missing_field: 1)"


def test_a_file_without_events():
    page, alerts, _ = build([])
    assert alerts == [] and "No event was processed" in page and "No alert." in page
    assert "<svg" not in page


# -- the timeline: its bucket follows the span, its counts are exact and bounded ------------------


@pytest.mark.parametrize("span", [600, 2 * DAY, 36 * DAY, 365 * DAY])
def test_bucket_width_follows_the_span(span):
    r = ReplayReport()
    rng = random.Random(span)
    n = 3000
    times = sorted(T0 + rng.random() * span for _ in range(n - 2)) + [T0, T0 + span]
    for i, ts in enumerate(times):
        r.event(ts, f"s{i % 7}@example.com", "t", "automated" if i % 3 else "human")
    tl = r.timeline()
    assert r.bucket_seconds in BUCKET_WIDTHS
    assert 50 <= len(tl) <= 300, (span, r.bucket_seconds, len(tl))
    # the finest width that fits: the next finer one would need more than 300 buckets
    finer = BUCKET_WIDTHS[BUCKET_WIDTHS.index(r.bucket_seconds) - 1]
    assert int((T0 + span) // finer) - int(T0 // finer) + 1 > 300
    assert sum(c for _, c, _ in tl) == n
    assert sum(a for _, _, a in tl) == sum(1 for i in range(n) if i % 3)
    for ts in times:  # every event in the bucket that covers its time
        assert tl[0][0] <= ts < tl[-1][0] + r.bucket_seconds
    page = r.render({"events": n, "processed": n, "duplicates": 0, "rejected": {}})
    assert f"({len(tl):,} buckets)" in page


def test_the_timeline_does_not_depend_on_the_event_order():
    rng = random.Random(7)
    evs = [(T0 + rng.random() * 3 * DAY, f"s{rng.randrange(5)}@example.com", f"t{rng.randrange(3)}",
            rng.choice(("automated", "human"))) for _ in range(4000)]
    pages = []
    for order in (sorted(evs), evs):
        r = ReplayReport()
        for e in order:
            r.event(*e)
        pages.append(r.render({"events": 4000, "processed": 4000, "duplicates": 0, "rejected": {}}))
    assert pages[0] == pages[1]


def test_memory_stays_bounded_with_many_senders():
    """Many one-off senders (a long human tail): the tracking keeps a bounded table, and the busy
    sender stays exact and charted first."""

    def feed(n_senders: int) -> tuple[ReplayReport, int]:
        r = ReplayReport(max_senders=64)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            for i in range(n_senders):
                ts = T0 + i
                r.event(ts, f"person{i}@example.org", f"t:{i:016x}", "human")
                if i % 4 == 0:
                    r.event(ts, "busy@shop.example", "shipping", "automated")
            return r, tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()

    _, small_bytes = feed(2_000)
    big, big_bytes = feed(12_000)
    assert big_bytes - small_bytes < 200_000, (small_bytes, big_bytes)  # not 10,000 more senders' worth
    page = big.render({"events": 15_000, "processed": 15_000, "duplicates": 0, "rejected": {}})
    root = dom(page)
    busiest = root.find("div", cls="sender-panel")
    assert busiest.attrs["data-sender"] == "busy@shop.example"
    assert busiest.find("p", cls="note").text().startswith("3,000 events")  # exact: tracked from the start
    rows = {(r[0], r[1]): r[2] for r in table_rows(root, "templates")}
    assert rows[("busy@shop.example", "shipping")] == "3,000"


def test_a_sender_dropped_from_the_tracking_is_shown_as_counted_from_its_return():
    r = ReplayReport(max_senders=2, top_senders=3)
    for i in range(10):
        r.event(T0 + 60 * i, "a@x.example", "t", "automated")
    r.event(T0 + 700, "b@x.example", "t", "automated")
    for i in range(5):  # fill the table: b is dropped (a and the busiest of these stay)
        for _ in range(3):
            r.event(T0 + 800 + i, f"c{i}@x.example", "t", "automated")
    for i in range(4):
        r.event(T0 + 3000 + i, "b@x.example", "t", "automated")
    root = dom(r.render({"events": 30, "processed": 30, "duplicates": 0, "rejected": {}}))
    notes = {p.attrs["data-sender"]: p.find("p", cls="note").text() for p in root.find_all("div", cls="sender-panel")}
    assert notes["a@x.example"].startswith("10 events")
    assert notes["b@x.example"].startswith("\u2265 4 events") and "counted from 2017-08-24T00:50:00Z" in notes[
        "b@x.example"]


def test_alerts_beyond_the_cap_are_counted_not_listed():
    page, alerts, _ = build(crafted_events(), max_alerts=1)
    root = dom(page)
    assert len(alert_rows(root)) == 1
    left = len(alerts) - 1
    assert root.find("p", cls="omitted").text().startswith(f"{left:,} more alert(s) not listed")
    counts = {r[0]: r[1:] for r in table_rows(root, "alert-counts")}
    assert int(counts["all detectors"][2]) == len(alerts)
    titles = [m.find("title").text() for m in root.find("svg", id="volume-all").find_all("g", cls="alert-marker")]
    assert len(titles) >= 2 and sum("more" in t for t in titles) == len(titles) - 1
    assert sum(int(t.split()[0]) for t in titles if "more" in t) == left


# -- the alerting (sender, template) pairs: their baseline, their fan-out; the episodes ------------


def svg_scale(svg: Node) -> tuple[float, float, float]:
    """``(y of 0, y of the axis top, top value)`` of a chart's count axis (its labels at x=144)."""
    labels = [(float(t.attrs["y"]) - 4, int(t.text().replace(",", ""))) for t in svg.find_all("text")
              if t.attrs.get("x") == "144" and t.attrs.get("text-anchor") == "end"]
    (y0, _), (y_top, top) = max(labels), min(labels)
    assert top > 0, labels
    return y0, y_top, top


def steps(path: Node) -> list[tuple[float, float]]:
    """``(x, y)`` of each step of a step line (``M x y h w`` or ``V y h w``)."""
    out, x = [], None
    for m in re.finditer(r"M([-0-9.]+) ([-0-9.]+)h([-0-9.]+)|V([-0-9.]+)h([-0-9.]+)", path.attrs["d"]):
        if m.group(1) is not None:
            x, y, w = float(m.group(1)), float(m.group(2)), float(m.group(3))
        else:
            y, w = float(m.group(4)), float(m.group(5))
        out.append((x, y))
        x += w
    return out


def bar_tops(path: Node) -> list[tuple[float, float]]:
    """``(x, height)`` of each column of a bars path."""
    return [(float(m.group(1)), float(m.group(3))) for m in
            re.finditer(r"M([-0-9.]+) ([-0-9.]+)h[-0-9.]+v([-0-9.]+)", path.attrs["d"])]


def expected_episodes(alerts: list[dict]) -> list[list[dict]]:
    """The alerts grouped the way the detectors group them, for a stream whose episodes all end by
    escalation or by a new one after a quiet hour (as in these streams): same (detector, sender,
    template), a higher severity within the quiet period escalates."""
    rank = {"warning": 1, "critical": 2}
    groups: list[list[dict]] = []
    open_: dict[tuple, list[dict]] = {}
    for a in alerts:
        k = (a["detector"], a["sender"], a["template"])
        g = open_.get(k)
        last = g[-1] if g else None
        if g and rank[a["severity"]] > max(rank[x["severity"]] for x in g) and _secs(a["ts"]) - _secs(
                last["ts"]) <= 3600:
            g.append(a)
            continue
        open_[k] = [a]
        groups.append(open_[k])
    return groups


def _secs(rfc: str) -> float:
    return datetime.strptime(rfc, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def test_the_spike_stream_escalates_one_episode_and_opens_another():
    _, alerts, _ = build(spike_events())
    assert [(a["detector"], a["severity"]) for a in alerts] == [
        ("template_spike", "warning"), ("fanout", "warning"), ("template_spike", "critical"),
        ("template_spike", "warning")], alerts
    assert {(a["sender"], a["template"]) for a in alerts} == {(DIGEST, "digest")}


def test_an_alerting_pair_is_charted_against_the_learned_baseline():
    r = ReplayReport()
    page, alerts, _ = build(spike_events(), report=r)
    assert r.bucket_seconds == 900
    root = dom(page)
    panels = root.find_all("div", cls="pair-panel")
    assert [(p.attrs["data-sender"], p.attrs["data-template"]) for p in panels] == [(DIGEST, "digest")]
    series = {t: (n, exp) for t, n, exp, _, _ in r.pair_series(DIGEST, "digest")}
    # the day before the burst: 15 messages per 15 minutes, and the detectors expected about as many
    normal = [(n, exp) for t, (n, exp) in series.items() if BURST - DAY <= t < BURST]
    assert len(normal) == 96 and all(n == 15 for n, _ in normal)
    assert all(13.5 <= exp <= 16.5 for _, exp in normal), normal
    n, exp = series[BURST]  # the burst: 200 on top of the 15, far above what was expected
    assert n == 215 and exp < n / 3, (n, exp)
    # ... and drawn so: the line's steps at the expected counts, the bars at the counts
    svg = panels[0].find("svg", id="pair-1")
    y0, y_top, top = svg_scale(svg)
    line = steps(svg.find("path", cls="baseline"))
    got = [(y0 - y) / (y0 - y_top) * top for _, y in line]
    want = [exp for t, (n, exp) in sorted(series.items()) if exp is not None]
    assert len(got) == len(want) == len(series)  # one step per bucket with a message: no gap here
    assert all(abs(g - w) <= 0.02 * top / 100 + 0.01 for g, w in zip(got, want)), (got[:5], want[:5])
    heights = [h / (y0 - y_top) * top for _, h in bar_tops(svg.find("path", cls="bars"))]
    assert max(heights) == pytest.approx(215, abs=0.05) and heights.count(max(heights)) == 2  # the two bursts
    # the pair's alerts on its chart: the warning, the fan-out and the page of the first burst, the second
    marks = [(m.attrs["data-detector"], m.attrs["data-severity"]) for m in svg.find_all("g", cls="alert-marker")]
    assert marks == [(a["detector"], a["severity"]) for a in alerts]
    note = panels[0].find("p", cls="note").text()
    assert "4 alert(s) listed, 1 of them page(s), in 3 episode(s)" in note and "counted from" not in note


@pytest.mark.parametrize("bucket_seconds", [60, 300, 600])
def test_the_baseline_is_scaled_from_the_detectors_bucket_to_the_reports(bucket_seconds):
    """The detectors expect 1, 5 or 10 per bucket of theirs: 15 per 15-minute bucket of the report."""
    r = ReplayReport()
    page, _, _ = build(spike_events(), config=SentinelConfig(bucket_seconds=bucket_seconds), report=r)
    normal = [exp for t, n, exp, _, _ in r.pair_series(DIGEST, "digest") if BURST - DAY / 2 <= t < BURST]
    assert len(normal) == 48 and all(13.5 <= e <= 16.5 for e in normal), (bucket_seconds, normal)
    minutes = bucket_seconds // 60
    assert f"expectation per {minutes}-minute bucket" in page


def test_a_report_bucket_narrower_than_the_detectors_gets_its_share():
    """Three hours (1-minute report buckets) of 1 message every 10 s: 30 per 5-minute detector bucket,
    so 6 expected per minute (once the detector has learned the hour of day: the second hour)."""
    r = ReplayReport()
    evs = [{"event_id": f"n{i}", "ts": T0 + 10 * i, "sender": DIGEST, "sender_kind": "automated",
            "to": [f"r{i}@gmail.com"], "template_id": "digest", "subject": "s", "body": "b"} for i in range(1080)]
    build(evs, report=r)
    assert r.bucket_seconds == 60
    learned = [(n, exp) for t, n, exp, _, _ in r.pair_series(DIGEST, "digest") if T0 + 4200 <= t < T0 + 7200]
    assert len(learned) == 50 and all(n == 6 for n, _ in learned)
    assert all(5.0 <= exp <= 7.0 for _, exp in learned), learned


def test_the_fan_out_of_an_alerting_pair_is_charted_with_its_fan_out_alerts():
    r = ReplayReport()
    page, alerts, _ = build(crafted_events(), report=r)
    root = dom(page)
    panels = root.find_all("div", cls="pair-panel")
    # the pairs that alerted, in the order of their first alert
    assert [(p.attrs["data-sender"], p.attrs["data-template"]) for p in panels] == [
        (SHOP, SCRIPT_TEMPLATE), ("events@shop.example", "gala")]
    burst = [(peak, mean) for _, n, _, peak, mean in r.pair_series(SHOP, SCRIPT_TEMPLATE) if n]
    assert burst and all(peak == 5 and mean == 5.0 for peak, mean in burst)  # 5 customers who see each other
    gala = [(n, peak, mean) for _, n, _, peak, mean in r.pair_series("events@shop.example", "gala") if n]
    assert gala[-1] == (1, 4, 4.0) and all(p == 1 for _, p, _ in gala[:-1])  # the one cc'd message at the end
    for panel, (sender, template) in zip(panels, [(SHOP, SCRIPT_TEMPLATE), ("events@shop.example", "gala")]):
        fan = panel.find("svg", cls="fanout")
        assert fan.attrs["id"].endswith("-fanout")
        y0, y_top, top = svg_scale(fan)
        tallest = max(h for _, h in bar_tops(fan.find("path", cls="fanout-max"))) / (y0 - y_top) * top
        assert tallest == pytest.approx(5 if sender == SHOP else 4, abs=0.01)
        assert fan.find_all("path", cls="fanout-mean")
        marks = [(m.attrs["data-detector"], m.attrs["data-severity"]) for m in fan.find_all("g", cls="alert-marker")]
        assert marks == [("fanout", a["severity"]) for a in alerts
                         if a["detector"] == "fanout" and (a["sender"], a["template"]) == (sender, template)]
        assert len(marks) == 1


def test_the_episode_table_groups_the_alerts_into_episodes():
    page, alerts, _ = build(spike_events())
    rows = table_rows(dom(page), "episodes")
    heads = [th.text() for th in dom(page).find("table", cls="episodes").find("tr").find_all("th")]
    eps = [dict(zip(heads, r)) for r in rows]
    assert len(eps) == len(expected_episodes(alerts)) == 3
    first, fan, second = eps
    warn, page_alert = alerts[0], alerts[2]
    assert (first["detector"], first["sender"], first["template"]) == ("template_spike", DIGEST, "digest")
    assert first["severity"].split()[-1] == "critical"  # the warning became a page: one episode
    assert first["first alert (UTC)"] == warn["ts"] == "2017-08-26T01:00:42.000Z"
    assert first["first page (UTC)"] == first["last alert (UTC)"] == page_alert["ts"] == "2017-08-26T01:02:30.000Z"
    assert first["alerts"] == "2" and float(first["max score"]) == pytest.approx(page_alert["score"], abs=1e-4)
    assert first["latest summary"] == page_alert["summary"]
    assert first["ended"] != "open" and first["ended"] >= first["last alert (UTC)"]  # quiet for an hour: closed
    assert (fan["detector"], fan["severity"].split()[-1], fan["alerts"], fan["first page (UTC)"]) == (
        "fanout", "warning", "1", "\u2014")
    assert second["detector"] == "template_spike" and second["first alert (UTC)"] == alerts[3]["ts"]
    assert second["alerts"] == "1" and second["ended"] == "open"  # the file ends within its quiet hour
    assert len(alert_rows(dom(page))) == 4  # the alert table is still there, one row per alert


def test_the_crafted_stream_has_one_episode_per_alert():
    page, alerts, _ = build(crafted_events())
    rows = table_rows(dom(page), "episodes")
    assert len(rows) == len(expected_episodes(alerts)) == len(alerts) == 4
    assert [r[1] for r in rows] == [a["detector"] for a in alerts]


def _alert(detector, severity, ts, template="t", sender="a@x.example", score=0.7):
    return Alert(detector=detector, severity=severity, sender=sender, template=template, score=score,
                 summary=f"{detector} {severity} at {ts}", ts=ts, event_ids=[f"{detector}-{ts}"])


def test_episodes_follow_the_detectors_escalations_and_ends():
    r = ReplayReport()
    for i in range(10):
        r.event(T0 + 600 * i, "a@x.example", "t", "automated")
    feed = [
        _alert("template_spike", "warning", T0 + 60), _alert("template_spike", "critical", T0 + 120, score=0.9),
        _alert("fanout", "warning", T0 + 60),  # another detector: its own episode
        _alert("fanout", "warning", T0 + 900),  # again a warning: the first fan-out one ended unseen
        _alert("mail_loop", "critical", T0 + 60),
        EpisodeEnd("mail_loop", "a@x.example", "t", "critical", T0 + 60, T0 + 400, 7),
        _alert("mail_loop", "critical", T0 + 5000),  # after its end: a new one
        _alert("recipient_novelty", "warning", T0 + 100, template=None),
        EpisodeEnd("recipient_novelty", "a@x.example", None, "warning", T0 + 50, T0 + 60, 1),  # not this one
        _alert("recipient_novelty", "critical", T0 + 200, template=None),  # still open: escalation
    ]
    for x in feed:
        (r.episode_end if isinstance(x, EpisodeEnd) else r.alert)(x)
    root = dom(r.render({"events": 10, "processed": 10, "duplicates": 0, "rejected": {}}))
    rows = [(d, sev.split()[-1], first, page, n, ended) for _, d, _, _, sev, first, page, _, n, _, _, ended
            in table_rows(root, "episodes")]
    assert rows == [
        ("template_spike", "critical", "2017-08-24T00:01:00.000Z", "2017-08-24T00:02:00.000Z", "2", "open"),
        ("fanout", "warning", "2017-08-24T00:01:00.000Z", "\u2014", "1", ""),
        ("fanout", "warning", "2017-08-24T00:15:00.000Z", "\u2014", "1", "open"),
        ("mail_loop", "critical", "2017-08-24T00:01:00.000Z", "2017-08-24T00:01:00.000Z", "1",
         "2017-08-24T00:06:40.000Z"),
        ("mail_loop", "critical", "2017-08-24T01:23:20.000Z", "2017-08-24T01:23:20.000Z", "1", "open"),
        ("recipient_novelty", "critical", "2017-08-24T00:01:40.000Z", "2017-08-24T00:03:20.000Z", "2", "open"),
    ]
    summaries = [r_[10] for r_ in table_rows(root, "episodes")]
    assert summaries[0] == "template_spike critical at 1503532920" and float(
        table_rows(root, "episodes")[0][9]) == pytest.approx(0.9)


def test_episodes_beyond_the_cap_are_counted_not_listed():
    r = ReplayReport(max_episodes=2)
    r.event(T0, "a@x.example", "t", "automated")
    for i, d in enumerate(("fanout", "mail_loop", "reply_relay", "template_spike")):
        r.alert(_alert(d, "warning", T0 + i))
    r.alert(_alert("fanout", "critical", T0 + 9))  # an escalation of a listed episode: counted in it
    root = dom(r.render({"events": 1, "processed": 1, "duplicates": 0, "rejected": {}}))
    rows = table_rows(root, "episodes")
    assert [(x[1], x[8]) for x in rows] == [("fanout", "2"), ("mail_loop", "1")]
    assert root.find("table", cls="episodes").parent.find_all("p", cls="omitted")[0].text().startswith(
        "2 more alert(s) of episodes not listed")


def test_alerting_pairs_beyond_the_cap_are_counted_not_charted():
    page, alerts, _ = build(crafted_events(), max_charted=1)
    root = dom(page)
    assert [p.attrs["data-template"] for p in root.find_all("div", cls="pair-panel")] == [SCRIPT_TEMPLATE]
    note = [p.text() for p in root.find_all("p", cls="omitted")]
    assert any(t.startswith("1 more alerting pair(s), with 1 alert(s), not charted") for t in note), note
    assert len(alert_rows(root)) == len(alerts)  # still listed


def test_an_alerting_pair_keeps_its_history_while_other_pairs_come_and_go():
    """A new template that starts sending while many one-off pairs pass through a small table stays
    tracked from its first message (it is among the busiest since the table was last full), and so
    does its baseline; a one-off pair that alerts later is charted from its return."""
    r = ReplayReport(max_pairs=4)
    ts = T0
    for name, n in (("a", 100), ("b", 100), ("c", 50), ("d", 50), ("e", 50)):
        for _ in range(n):
            ts += 1
            r.event(ts, f"{name}@x.example", "old", "automated", (1.0, 1.0), 1)
    for i in range(40):  # one-off pairs: the table fills and is cut down several times
        ts += 1
        r.event(ts, "people@x.example", f"once-{i}", "automated", (1.0, 0.0), 1)
    sent = 0
    for i in range(200):
        ts += 1
        r.event(ts, "people@x.example", f"other-{i}", "automated", (1.0, 0.0), 1)
        if i % 2:
            ts += 1
            r.event(ts, "new@x.example", "launch", "automated", (1.0, 2.0), 3)
            sent += 1
    r.alert(_alert("template_spike", "warning", ts, sender="new@x.example", template="launch"))
    r.event(ts + 1, "people@x.example", "once-3", "automated", (1.0, 0.0), 1)
    r.alert(_alert("fanout", "warning", ts + 1, sender="people@x.example", template="once-3"))
    for i in range(100):  # more pairs passing through: the charted ones stay, quiet as they are now
        r.event(ts + 2 + i, "people@x.example", f"later-{i}", "automated", (1.0, 0.0), 1)
    series = r.pair_series("new@x.example", "launch")
    assert sum(n for _, n, _, _, _ in series) == sent == 100
    assert max(p for _, _, _, p, _ in series) == 3
    root = dom(r.render({"events": 1, "processed": 1, "duplicates": 0, "rejected": {}}))
    notes = {p.attrs["data-template"]: p.find("p", cls="note").text() for p in root.find_all("div", cls="pair-panel")}
    assert "counted from" not in notes["launch"] and "100 message(s)" in notes["launch"]
    assert "\u2265 1 message(s)" in notes["once-3"] and "counted from" in notes["once-3"]
    assert len(r._pairs) <= 2 * 4 + 2  # bounded: twice max_pairs, plus the charted ones


def test_a_persons_account_is_charted_for_alerts_without_template():
    """recipient_novelty names no template: the account's mail sent as a person is charted."""
    r = ReplayReport()
    for i in range(30):
        r.event(T0 + 60 * i, "bob@x.example", f"h:{i % 3}", "human", (1.0, 0.5), 1 + (i == 29) * 7)
    r.alert(_alert("recipient_novelty", "warning", T0 + 60 * 29, sender="bob@x.example", template=None))
    root = dom(r.render({"events": 30, "processed": 30, "duplicates": 0, "rejected": {}}))
    panel = root.find("div", cls="pair-panel")
    assert (panel.attrs["data-sender"], panel.attrs["data-template"]) == ("bob@x.example", "")
    assert "mail sent as a person" in panel.find("p", cls="note").text()
    assert panel.find("svg").find_all("path", cls="bars") and not panel.find_all("path", cls="baseline")
    series = r.pair_series("bob@x.example", None)
    assert sum(n for _, n, _, _, _ in series) == 30 and max(p for _, _, _, p, _ in series) == 8


# -- in the real browser ------------------------------------------------------------------------


#: how chromium's log (``--enable-logging=stderr --v=0``) shows what a page writes to its console:
#: ``[...:INFO:CONSOLE:1] "Uncaught ReferenceError: ...", source: file:///... (1)`` (older releases
#: wrote ``INFO:CONSOLE(1)``); test_chromium_logs_console_messages_where_the_tests_look checks it
_CONSOLE = re.compile(r":CONSOLE[:(]|Uncaught ")


def console_messages(proc: subprocess.CompletedProcess) -> list[str]:
    """The page's console messages (errors, warnings, logs, uncaught exceptions) in chromium's log."""
    return [line for line in proc.stderr.decode("utf-8", "replace").splitlines() if _CONSOLE.search(line)]


def chromium(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run Debian's headless chromium (fails, never skips, when it is not installed), logging the
    page's console messages to standard error (:func:`console_messages`)."""
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is not installed: run `make servers` (scripts/install-servers.sh installs "
                    "Debian's chromium package, as `make test` does)")
    with tempfile.TemporaryDirectory(prefix="mailflow-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
               "--disable-extensions", "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"chromium did not finish within {timeout} s")
        finally:
            try:  # helpers it may have left behind, in the process group of the one started here
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def png_pixels(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for x in range(stride):
                line[x] = (line[x] + (((line[x - bpp] if x >= bpp else 0) + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


@pytest.fixture(scope="module")
def rendered_report(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    evs = sorted(crafted_events() + spike_events(), key=lambda e: (e["ts"], e["event_id"]))
    page, alerts, _ = build(evs)
    path = d / "report.html"
    path.write_text(page, encoding="utf-8")
    return path, alerts, evs


def test_chromium_logs_console_messages_where_the_tests_look(tmp_path):
    """The check that the report writes nothing to the browser's console sees a page that does."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><p>x</p><script>console.error('report-check-error');"
                   "no_such_function();</script></body></html>", encoding="utf-8")
    proc = chromium("--dump-dom", bad.as_uri())
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    found = console_messages(proc)
    assert any("report-check-error" in m for m in found), proc.stderr.decode(errors="replace")[-3000:]
    assert any("Uncaught ReferenceError" in m and "no_such_function" in m for m in found), found


def test_chromium_renders_the_charts_and_markers(rendered_report):
    path, alerts, evs = rendered_report
    proc = chromium("--dump-dom", path.as_uri())
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    assert console_messages(proc) == []  # no error, warning or message of any kind in the console
    root = dom(proc.stdout.decode("utf-8"))
    assert root.find("h1").text() == "mailflow replay report"
    svgs = {s.attrs.get("id") for s in root.find_all("svg")}
    assert {"volume-all", "alert-timeline", "sender-1", "sender-2", "sender-3"} <= svgs
    assert root.find("svg", id="volume-all").find_all("path", cls="bars")
    for svg_id in ("volume-all", "alert-timeline"):
        assert len(root.find("svg", id=svg_id).find_all("g", cls="alert-marker")) == len(alerts)
    assert len(alert_rows(root)) == len(alerts)
    assert root.find_all("script") == []  # the browser built no script element out of the user data
    # one panel per alerting (sender, template) pair, in the order of their first alert: the volume
    # against the baseline line, and the fan-out chart under it
    pairs = list(dict.fromkeys((a["sender"], a["template"]) for a in alerts))
    panels = root.find_all("div", cls="pair-panel")
    assert [(p.attrs["data-sender"], p.attrs["data-template"]) for p in panels] == pairs
    assert len(pairs) == 3
    for i, p in enumerate(panels, 1):
        volume, fanout = p.find_all("svg")
        assert volume.attrs["id"] == f"pair-{i}" and fanout.attrs["id"] == f"pair-{i}-fanout"
        # a baseline step in every 15-minute bucket the pair sent in
        sent_in = {int(e["ts"] // 900) for e in evs if (e["sender"], e.get("template_id")) == pairs[i - 1]}
        assert volume.find_all("path", cls="bars") and len(steps(volume.find("path", cls="baseline"))) == len(sent_in)
        assert "fanout" in fanout.attrs["class"].split() and fanout.find_all("path", cls="fanout-max")
        assert len(volume.find_all("g", cls="alert-marker")) == sum(
            (a["sender"], a["template"]) == pairs[i - 1] for a in alerts)
    rows = table_rows(root, "episodes")
    assert len(rows) == len(expected_episodes(alerts)) == 7 < len(alerts)


def test_chromium_screenshot_shows_the_bars_and_markers(rendered_report, tmp_path):
    path = rendered_report[0]
    shot = tmp_path / "shot.png"
    proc = chromium(f"--screenshot={shot}", "--window-size=1280,4000", path.as_uri())
    assert proc.returncode == 0 and shot.exists(), proc.stderr.decode(errors="replace")[-2000:]
    assert console_messages(proc) == []
    w, h, bpp, rows = png_pixels(shot.read_bytes())
    assert (w, h) == (1280, 4000)

    def near(px, rgb, tol=14):
        return all(abs(px[k] - rgb[k]) <= tol for k in range(3))

    colours = {"automated bars": (0x3B, 0x6E, 0xA8), "human bars": (0xE0, 0x7B, 0x22),
               "critical markers": (0xD9, 0x2D, 0x20), "warning markers": (0xF2, 0xB1, 0x34),
               "baseline line": (0x6F, 0x42, 0xC1), "fan-out bars": (0x2A, 0x9D, 0x8F)}
    found = dict.fromkeys(colours, 0)
    bar_columns = set()
    non_white = 0
    for row in rows:
        for x in range(0, w * bpp, bpp):
            px = row[x:x + 3]
            if px != b"\xff\xff\xff":
                non_white += 1
                for name, rgb in colours.items():
                    if near(px, rgb):
                        found[name] += 1
                        if name == "automated bars":
                            bar_columns.add(x // bpp)
    assert found["automated bars"] >= 1500, found
    assert found["human bars"] >= 100, found
    assert found["critical markers"] >= 100, found
    assert found["warning markers"] >= 30, found
    assert found["baseline line"] >= 1500, found  # the line across the digest's chart, 2.5 units thick
    assert found["fan-out bars"] >= 1500, found
    assert non_white >= 0.04 * w * h, non_white
    # bars all along the time axis (not only the legend's swatch): across most of the page's width
    assert len(bar_columns) >= 400 and max(bar_columns) - min(bar_columns) >= 700, sorted(bar_columns)[::50]


def test_without_chromium_the_browser_tests_fail_and_say_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"run `make servers`"):
        chromium("--version")

"""Tests of ``mailflow replay`` (detectors/cli/replay.py, detectors/cli/common.py, streams/cli.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from detectors import DETECTORS, SEVERITIES
from detectors.cli.replay import main

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_503_532_800
CONTRACT_FIELDS = {"alert_id", "ts", "detector", "severity", "sender", "template", "score", "summary",
                   "evidence", "event_ids"}
BODY = "Hello, to verify your order please reply to this email with a photo of your passport."


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith("MAILFLOW_"):
            monkeypatch.delenv(k)


def events(n_normal=300, n_burst=10):
    out = []
    for i in range(n_normal):
        out.append({"event_id": f"ship-{i}", "ts": T0 + 600 * i, "sender": "care@shop.example",
                    "sender_kind": "automated", "to": [f"c{i}@gmail.com"], "template_id": "shipping",
                    "subject": "Shipped", "body": "Your parcel has shipped."})
    for i in range(n_burst):
        out.append({"event_id": f"pass-{i}", "ts": T0 + 600 * n_normal + 30 * i, "sender": "care@shop.example",
                    "sender_kind": "automated", "to": [f"v{i}-{j}@gmail.com" for j in range(5)],
                    "subject": "Verify your order", "body": BODY})
    return out


def write_jsonl(path: Path, evs, extra_lines=()) -> Path:
    lines = [json.dumps(e) for e in evs] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def parse_alerts(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_alerts_on_stdout_summary_on_stderr(tmp_path, capsys):
    f = write_jsonl(tmp_path / "ev.jsonl", events())
    assert main([str(f), "--no-progress"]) == 0
    cap = capsys.readouterr()
    alerts = parse_alerts(cap.out)
    assert alerts, cap.err
    for a in alerts:
        assert set(a) == CONTRACT_FIELDS
        assert a["detector"] in DETECTORS and a["severity"] in SEVERITIES
        assert 0 <= a["score"] <= 1 and a["ts"].endswith("Z")
    assert {"sensitive_request", "fanout"} <= {a["detector"] for a in alerts}
    assert alerts[0]["event_ids"][0] == "pass-0"
    assert "310 events" in cap.err and "310 processed" in cap.err
    assert "sensitive_request/" in cap.err
    assert "{" not in cap.err.splitlines()[-1][:1]


def test_rejected_lines_counted_and_dead_lettered(tmp_path, capsys):
    bad = ["not json at all", json.dumps({"event_id": "x", "ts": T0, "to": ["a@b.com"]}),
           json.dumps({"event_id": "y", "ts": "2017-08-24T10:00:00", "sender": "a@b.com", "to": ["c@d.com"]}),
           "[1, 2]"]
    f = write_jsonl(tmp_path / "ev.jsonl", events(20, 0), bad)
    dl = tmp_path / "dead.jsonl"
    assert main([str(f), "--dead-letter", str(dl), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "4 rejected" in err
    for reason in ("invalid_json=1", "missing_field=1", "bad_timestamp=1", "not_an_object=1"):
        assert reason in err
    rows = [json.loads(x) for x in dl.read_text().splitlines()]
    assert [r["reason"] for r in rows] == ["invalid_json", "missing_field", "bad_timestamp", "not_an_object"]
    assert [r["value"] for r in rows] == bad
    assert [r["line"] for r in rows] == [21, 22, 23, 24]


def test_dead_letter_line_is_the_file_line(tmp_path, capsys):
    f = tmp_path / "ev.jsonl"
    f.write_text("\n\nnot json\n")
    dl = tmp_path / "dead.jsonl"
    assert main([str(f), "--dead-letter", str(dl), "--no-progress"]) == 0
    assert json.loads(dl.read_text())["line"] == 3


def test_duplicates_counted(tmp_path, capsys):
    evs = events(5, 0)
    f = write_jsonl(tmp_path / "ev.jsonl", evs + evs[:2])
    assert main([str(f), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "7 events, 5 processed, 2 duplicates" in err


def test_stdin(tmp_path, capsys, monkeypatch):
    data = ("\n".join(json.dumps(e) for e in events()) + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["-", "--no-progress"]) == 0
    assert parse_alerts(capsys.readouterr().out)


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_input(tmp_path, capsys, kind):
    path = tmp_path / "nope.jsonl" if kind == "missing" else tmp_path
    rc = main([str(path), "--no-progress"])
    cap = capsys.readouterr()
    assert rc != 0
    assert cap.out == ""
    assert "cannot read" in cap.err and str(path) in cap.err
    assert "Traceback" not in cap.err


def test_bad_config_lists_every_bad_entry(tmp_path, capsys):
    f = write_jsonl(tmp_path / "ev.jsonl", events(5, 0))
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"bucket_seconds": 0, "colour": "red", "spike_tolerance": "high",
                               "internal_domains": ["not a domain"]}))
    rc = main([str(f), "--config", str(cfg), "--no-progress"])
    cap = capsys.readouterr()
    assert rc == 2 and cap.out == ""
    for name in ("bucket_seconds", "colour", "spike_tolerance", "internal_domains"):
        assert name in cap.err


@pytest.mark.parametrize("content, fragment", [("{not json", "not valid JSON"), ("[1, 2]", "JSON object")])
def test_bad_config_file(tmp_path, capsys, content, fragment):
    f = write_jsonl(tmp_path / "ev.jsonl", events(5, 0))
    cfg = tmp_path / "cfg.json"
    cfg.write_text(content)
    assert main([str(f), "--config", str(cfg)]) == 2
    assert fragment in capsys.readouterr().err


def test_missing_config_file(tmp_path, capsys):
    f = write_jsonl(tmp_path / "ev.jsonl", events(5, 0))
    assert main([str(f), "--config", str(tmp_path / "absent.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_environment_settings_validated(tmp_path, capsys, monkeypatch):
    f = write_jsonl(tmp_path / "ev.jsonl", events(5, 0))
    monkeypatch.setenv("MAILFLOW_DETECTOR_BUCKET_SECONDS", "zero")
    monkeypatch.setenv("MAILFLOW_DETECTOR_NO_SUCH", "1")
    assert main([str(f)]) == 2
    err = capsys.readouterr().err
    assert "bucket_seconds" in err and "no_such" in err


def test_internal_domain_flag(tmp_path, capsys):
    evs = [{"event_id": f"i{i}", "ts": T0 + 60 * i, "sender": "hr@corp.example", "sender_kind": "automated",
            "to": [f"p{j}@dept{j}.example" for j in range(4)], "subject": "Team", "body": "Team lunch at noon."}
           for i in range(5)]
    f = write_jsonl(tmp_path / "ev.jsonl", evs)
    assert main([str(f), "--no-progress"]) == 0
    assert any(a["detector"] == "fanout" for a in parse_alerts(capsys.readouterr().out))
    # the same mail is internal once those domains are declared the company's own
    flags = [x for j in range(4) for x in ("--internal-domain", f"Dept{j}.example")]
    assert main([str(f), "--no-progress", *flags]) == 0
    assert parse_alerts(capsys.readouterr().out) == []


def test_console_entry_as_subprocess(tmp_path):
    f = write_jsonl(tmp_path / "ev.jsonl", events(), ["garbage"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "streams.cli", "replay", str(f), "--no-progress"],
                          capture_output=True, text=True, cwd=str(ROOT), env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    alerts = parse_alerts(proc.stdout)
    assert alerts and all(set(a) == CONTRACT_FIELDS for a in alerts)
    assert "1 rejected (invalid_json=1)" in proc.stderr


def test_dispatcher_unknown_command(capsys):
    from streams.cli import main as cli_main
    assert cli_main(["no-such-command"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_time_zone_flag_is_validated_with_the_other_settings(tmp_path, capsys):
    f = write_jsonl(tmp_path / "ev.jsonl", events(5, 0))
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"sender_timezones": ["care@example.com=Mars/Olympus", "no-equals-sign"]}))
    rc = main([str(f), "--timezone", "Europe/Nowhere", "--config", str(cfg), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Europe/Nowhere" in err and "Mars/Olympus" in err and "no-equals-sign" in err
    assert main([str(f), "--timezone", "Europe/Berlin", "--no-progress"]) == 0

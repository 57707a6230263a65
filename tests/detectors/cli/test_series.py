"""Tests of ``mailflow score-series`` (detectors/cli/series.py)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from detectors.cli.series import main, parse_timestamp

START = datetime(2017, 8, 24, tzinfo=timezone.utc)


def rows(n=300, spike_at_end=True, fmt="plain"):
    out = []
    for i in range(n):
        t = START + timedelta(minutes=5 * i)
        ts = t.strftime("%Y-%m-%d %H:%M:%S") if fmt == "plain" else t.isoformat().replace("+00:00", "Z")
        if fmt == "offset":
            ts = t.astimezone(timezone(timedelta(hours=2))).isoformat()
        v = 10 + (i % 3)
        if spike_at_end and i == n - 1:
            v = 200
        out.append((ts, v))
    return out


def write_csv(path: Path, data, header="timestamp,value") -> Path:
    path.write_text(header + "\n" + "".join(f"{t},{v}\n" for t, v in data))
    return path


def read_out(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("fmt", ["plain", "rfc3339", "offset"])
def test_scores_series_with_both_timestamp_forms(tmp_path, capsys, fmt):
    data = rows(fmt=fmt)
    f = write_csv(tmp_path / "s.csv", data)
    assert main([str(f)]) == 0
    cap = capsys.readouterr()
    out = read_out(cap.out)
    assert out[0] == ["timestamp", "value", "anomaly_score"]
    body = out[1:]
    assert len(body) == len(data)
    assert [r[0] for r in body] == [t for t, _ in data]
    assert [r[1] for r in body] == [str(v) for _, v in data]
    scores = [float(r[2]) for r in body]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[-1] > 0.9
    assert max(scores[:-1]) < 0.1
    assert "300 points" in cap.err


def test_same_scores_for_both_forms(tmp_path, capsys):
    a = write_csv(tmp_path / "a.csv", rows(fmt="plain"))
    b = write_csv(tmp_path / "b.csv", rows(fmt="offset"))
    main([str(a)])
    sa = [r[2] for r in read_out(capsys.readouterr().out)[1:]]
    main([str(b)])
    sb = [r[2] for r in read_out(capsys.readouterr().out)[1:]]
    assert sa == sb


def test_warm_up_option(tmp_path, capsys):
    f = write_csv(tmp_path / "s.csv", rows(n=30))
    assert main([str(f)]) == 0  # default warm-up 48 > 29 points learned: no score
    assert float(read_out(capsys.readouterr().out)[-1][2]) == 0.0
    assert main([str(f), "--warm-up", "10"]) == 0
    assert float(read_out(capsys.readouterr().out)[-1][2]) > 0.9


@pytest.mark.parametrize("header", ["time,value", "value,timestamp", "", "ts"])
def test_header_checked(tmp_path, capsys, header):
    f = write_csv(tmp_path / "s.csv", rows(n=5), header=header)
    assert main([str(f)]) == 1
    err = capsys.readouterr().err
    assert "header" in err


def test_header_case_and_spaces_accepted(tmp_path, capsys):
    f = write_csv(tmp_path / "s.csv", rows(n=5), header="Timestamp, Value")
    assert main([str(f)]) == 0


def test_empty_input(tmp_path, capsys):
    f = tmp_path / "s.csv"
    f.write_text("")
    assert main([str(f)]) == 1
    assert "empty" in capsys.readouterr().err


@pytest.mark.parametrize("bad, fragment", [("2017-08-24 10:00:00,abc", "not a number"),
                                           ("2017-08-24 10:00:00,nan", "not finite"),
                                           ("2017-08-24 10:00:00", "2 columns"),
                                           ("2017-08-24 10:00:00,", "not a number")])
def test_bad_value_rows_give_the_line_number(tmp_path, capsys, bad, fragment):
    f = tmp_path / "s.csv"
    f.write_text("timestamp,value\n2017-08-24 09:00:00,1\n2017-08-24 09:05:00,2\n" + bad + "\n")
    assert main([str(f)]) == 1
    err = capsys.readouterr().err
    assert "line 4" in err and fragment in err


@pytest.mark.parametrize("bad", ["yesterday,3", "2017-08-24T10:00:00,3"])
def test_bad_timestamp_rows_give_the_line_number(tmp_path, capsys, bad):
    f = tmp_path / "s.csv"
    f.write_text("timestamp,value\n2017-08-24 09:00:00,1\n" + bad + "\n")
    assert main([str(f)]) == 1
    assert "line 3" in capsys.readouterr().err


def test_bad_timestamp_is_an_error_not_a_crash(tmp_path, capsys):
    f = tmp_path / "s.csv"
    f.write_text("timestamp,value\n2017-08-24T10:00:00,1\n")
    assert main([str(f)]) == 1
    err = capsys.readouterr().err
    assert "UTC offset" in err and "Traceback" not in err


def test_unreadable_and_not_utf8(tmp_path, capsys):
    assert main([str(tmp_path / "absent.csv")]) == 1
    assert "cannot read" in capsys.readouterr().err
    f = tmp_path / "s.csv"
    f.write_bytes(b"timestamp,value\n2017-08-24 10:00:00,\xff\xfe\n")
    assert main([str(f)]) == 1
    assert "UTF-8" in capsys.readouterr().err


def test_bad_options_listed_together(tmp_path, capsys):
    f = write_csv(tmp_path / "s.csv", rows(n=5))
    assert main([str(f), "--warm-up", "-1", "--tolerance", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "--warm-up" in err and "--tolerance" in err


def test_parse_timestamp_forms():
    assert parse_timestamp("2017-08-24 10:00:00") == 1503568800.0
    assert parse_timestamp("2017-08-24T10:00:00Z") == 1503568800.0
    assert parse_timestamp("2017-08-24T12:00:00+02:00") == 1503568800.0
    assert parse_timestamp(" 2017-08-24T10:00:00.5z ") == 1503568800.5
    with pytest.raises(ValueError):
        parse_timestamp("2017-08-24T10:00:00")
    with pytest.raises(ValueError):
        parse_timestamp("24/08/2017 10:00")


def test_byte_order_mark_accepted(tmp_path, capsys):
    f = tmp_path / "s.csv"
    f.write_bytes(b"\xef\xbb\xbftimestamp,value\r\n2017-08-24 10:00:00,1\r\n")
    assert main([str(f)]) == 0

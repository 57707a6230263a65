"""``--log-format json``: one JSON object per log line, for the worker, the taps and the guard."""

from __future__ import annotations

import json
import logging

import pytest

from streams.frontend import setup_logging
from streams.logformat import LOG_FORMATS, JsonFormatter, logging_config
from streams.settings import parse_settings
from detectors.errors import ConfigError


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("kafka", "mail.log"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_json_lines_carry_time_level_logger_message(capsys):
    setup_logging("info", {"kafka": logging.WARNING}, "json")
    logging.getLogger("streams.taps.smtp").info("accepted %d message(s) from %s", 3, "10.0.0.1")
    logging.getLogger("kafka").info("a chatty client line")  # quiet below warning
    logging.getLogger("kafka").warning("broker unreachable")
    logging.getLogger("streams.agents").debug("below the level")
    rows = _lines(capsys.readouterr().err)
    assert [(r["level"], r["logger"], r["message"]) for r in rows] == [
        ("info", "streams.taps.smtp", "accepted 3 message(s) from 10.0.0.1"),
        ("warning", "kafka", "broker unreachable"),
    ]
    for r in rows:
        assert set(r) == {"ts", "level", "logger", "message"}
        assert r["ts"].endswith("Z") and r["ts"][10] == "T"


def test_an_exception_is_one_line_with_its_traceback(capsys):
    setup_logging("info", None, "json")
    try:
        raise ValueError("bad batch")
    except ValueError:
        logging.getLogger("streams.agents").exception("detectors failed on one event")
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1  # the traceback is inside the JSON string
    (row,) = _lines(err)
    assert row["message"] == "detectors failed on one event"
    assert "ValueError: bad batch" in row["exc"] and "Traceback" in row["exc"]


def test_text_stays_the_default_and_is_not_json(capsys):
    setup_logging("info")
    logging.getLogger("streams.guard").warning("held %d account(s)", 2)
    err = capsys.readouterr().err
    assert "WARNING streams.guard: held 2 account(s)" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.strip())


def test_debug_lifts_the_quiet_loggers(capsys):
    setup_logging("debug", {"kafka": logging.WARNING}, "json")
    logging.getLogger("kafka").debug("fetch")
    assert [r["message"] for r in _lines(capsys.readouterr().err)] == ["fetch"]


def test_a_message_argument_orjson_cannot_encode_is_still_logged():
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "value %s", (object(),), None)
    assert json.loads(JsonFormatter().format(rec))["message"].startswith("value <object object")


def test_flag_env_and_a_bad_value():
    assert parse_settings(["--log-format", "JSON"]).log_format == "json"
    assert parse_settings([], {"MAILFLOW_LOG_FORMAT": "json"}).log_format == "json"
    assert parse_settings([]).log_format == "text"
    with pytest.raises(ConfigError) as exc:
        parse_settings(["--log-format", "xml", "--log-level", "loud"])
    text = str(exc.value)
    assert "log_format: 'xml' must be one of text, json" in text and "log_level" in text  # every bad entry
    with pytest.raises(ValueError):
        logging_config("info", "yaml")
    assert LOG_FORMATS == ("text", "json")

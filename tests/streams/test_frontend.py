"""streams.frontend: the option table, the readers and the common main of the network front-ends."""

from __future__ import annotations

import pytest

from detectors.errors import ConfigError
from streams import frontend
from streams.frontend import (METRICS_PORTS, Fail, Invalid, Option, Options, between, csv, listen_or_none,
                              parse_bool, parse_listen, run_command, worker_settings)

TABLE = Options("MAILFLOW_T_", [
    Option("listen", parse_listen, ("127.0.0.1", 1), "where", "HOST:PORT"),
    Option("count", int, 5, "how many", "N", check=between(1, 10)),
    Option("wait", float, 1.0, "seconds", "S", check=between(0, 2, " seconds")),
    Option("names", csv, ("a",), "a comma list", "LIST"),
    Option("tag", tuple, (), "repeatable", "TAG", repeat=True, env="TAGS"),
    Option("on", default=False, switch=True, help="a switch"),
])


def test_flags_win_over_the_environment_and_the_environment_over_defaults():
    env = {"MAILFLOW_T_COUNT": "7", "MAILFLOW_T_WAIT": "0.5", "MAILFLOW_T_TAGS": "x, y", "MAILFLOW_T_ON": "yes"}
    p = TABLE.parse(["--count", "3"], env)
    assert p.problems == [] and p.rest == []
    v = p.values
    assert (v.count, v.wait, v.tag, v.on, v.names, v.listen) == (3, 0.5, ("x", "y"), True, ("a",), ("127.0.0.1", 1))
    v = TABLE.parse(["--tag", "p,q", "--tag", "r", "--on", "--listen", "[::1]:25"], {}).values
    assert (v.tag, v.on, v.listen) == (("p", "q", "r"), True, ("::1", 25))
    assert TABLE.parse([], {"MAILFLOW_T_COUNT": ""}).values.count == 5  # empty: the default


def test_the_injected_environment_is_the_only_one_read(monkeypatch):
    monkeypatch.setenv("MAILFLOW_T_COUNT", "9")
    assert TABLE.parse([], {}).values.count == 5
    assert TABLE.parse([], None).values.count == 9


def test_every_bad_entry_is_collected():
    p = TABLE.parse(["--count", "x", "--wait", "3", "--listen", "nohost"], {"MAILFLOW_T_ON": "maybe"})
    assert p.problems == [
        "listen: 'nohost' is not HOST:PORT",
        "count: 'x' (from --count) is not an integer",
        "wait: 3.0 must be between 0 and 2 seconds",
        "on: 'maybe' (from MAILFLOW_T_ON) is not true or false",
    ]
    assert p.values.count == 5  # a bad value leaves the default


def test_unknown_flags_are_left_for_the_worker():
    p = TABLE.parse(["--broker", "kafka://k:1", "--count=2"], {})
    assert p.rest == ["--broker", "kafka://k:1"] and p.values.count == 2


def test_help_names_flag_environment_and_default():
    text = TABLE.parser("prog").format_help()
    assert "--count N" in text and "MAILFLOW_T_COUNT; default 5" in text
    assert "MAILFLOW_T_TAGS; repeatable" in text and "MAILFLOW_T_ON=1" in text
    assert "default 1]" in text  # floats shown as 1, not 1.0


def test_converters():
    assert parse_bool("ON") is True and parse_bool(" off ") is False
    with pytest.raises(ValueError):
        parse_bool("2")
    assert csv("a,,b ,") == ("a", "b")
    assert parse_listen("host:0") == ("host", 0)
    for bad in ("host", ":25", "host:65536", "host:x"):
        with pytest.raises(Invalid):
            parse_listen(bad)
    assert listen_or_none("None") is None and listen_or_none("h:1") == ("h", 1)


def test_worker_settings_take_the_commands_metrics_port_and_the_one_broker_grammar():
    assert METRICS_PORTS == {"worker": 9108, "tap smtp": 9109, "tap http": 9110, "guard": 9111, "tap milter": 9112}
    problems: list[str] = []
    w = worker_settings("guard", ["--broker", "a:1;kafka://b:2"], {}, problems)
    assert problems == [] and w.metrics_port == 9111 and w.bootstrap_servers == ["a:1", "b:2"]
    assert w.input_topic == "mail.outbound" and w.alerts_topic == "mail.alerts" and w.dlq_topic == "mail.outbound.dlq"
    assert worker_settings("guard", ["--metrics-port=0"], {}, problems).metrics_port == 0
    assert worker_settings("guard", [], {"MAILFLOW_METRICS_PORT": "1234"}, problems).metrics_port == 1234
    assert worker_settings("tap smtp", ["--broker", "http://x:1"], {}, problems) is None
    assert any(p.startswith("broker:") for p in problems)


@pytest.mark.parametrize("module,command", [("streams.taps.smtp", "tap smtp"), ("streams.taps.http", "tap http"),
                                            ("streams.taps.milter", "tap milter"), ("streams.guard.cli", "guard")])
def test_every_front_end_uses_the_shared_pieces(module, command):
    import importlib

    mod = importlib.import_module(module)
    assert mod.DEFAULT_METRICS_PORT == METRICS_PORTS[command]
    assert isinstance(mod.OPTIONS, Options)


def test_run_command(capsys):
    def parse(argv, env):
        if argv == ["bad"]:
            raise ConfigError(["x: bad", "y: worse"])
        return argv

    def serve(settings):
        if settings == ["fail"]:
            raise Fail("cannot listen on h:1: busy")
        return 0

    run = lambda argv: run_command("thing", argv, {}, parser=lambda: TABLE.parser("mailflow thing"),
                                   parse=parse, serve=serve)
    assert run(["ok"]) == 0
    assert run(["bad"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mailflow thing: invalid configuration:") and "x: bad" in err and "y: worse" in err
    assert run(["fail"]) == 2
    assert capsys.readouterr().err == "mailflow thing: cannot listen on h:1: busy\n"
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: mailflow thing" in out and "worker settings" in out and "--broker" in out


@pytest.mark.parametrize("command,argv", [("tap smtp", ["--listen", "bad"]), ("tap http", ["--listen", "bad"]),
                                          ("tap milter", ["--listen", "bad"]),
                                          ("guard", ["--policy-listen", "bad"])])
def test_the_front_ends_exit_2_naming_the_bad_entry(capsys, command, argv):
    from streams.cli import main

    assert main(command.split() + argv + ["--broker", "kafka://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mailflow {command}: invalid configuration:") and "is not HOST:PORT" in err


def test_the_module_imports_no_faust():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(frontend.__file__).read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not names & {"faust", "mode", "kafka", "aiokafka"}


def test_the_milter_timeout_is_read_from_the_documented_variable():
    from streams.taps.milter import parse_milter_settings

    s, _ = parse_milter_settings([], {"MAILFLOW_MILTER_TIMEOUT": "2.5", "MAILFLOW_MILTER_WAIT_ACK": "1"})
    assert (s.timeout, s.wait_ack, s.worker.metrics_port) == (2.5, 1.0, 9112)

"""``mailflow guard`` (the service) and ``mailflow guard list | release SENDER | drop SENDER``.

The service's settings: the flags below plus every ``mailflow worker`` setting
(``--broker``, ``--alerts-topic``, ``--internal-domain``, ``--metrics-port``, security, log
level, ...) and the milter's (``--body-chars``, ``--template-header``, ...), from flags or
the same ``MAILFLOW_*`` environment variables; the guard's own also from
``MAILFLOW_GUARD_*``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from typing import Mapping, Sequence

from detectors.errors import ConfigError
from streams.frontend import (METRICS_PORTS, Fail, Option, Options, listen_or_none, run_command, setup_logging,
                              start_metrics, until_stopped, worker_settings)
from streams.taps.milter import milter_options, milter_settings

from .service import HOLDS, GuardOptions, append_marker

__all__ = ["main", "parse_guard_settings", "DEFAULT_POLICY_LISTEN", "DEFAULT_METRICS_PORT"]

log = logging.getLogger("mailflow.guard")

ENV = "MAILFLOW_GUARD_"
DEFAULT_POLICY_LISTEN = "127.0.0.1:10040"
DEFAULT_METRICS_PORT = METRICS_PORTS["guard"]


# the two settings the service and its sub-commands share (one reader: flags, then MAILFLOW_GUARD_*)
_POSTFIX_CONFIG = Option("postfix_config", str, None, "Postfix config directory (postqueue/postsuper -c DIR)", "DIR")
_STATE_DIR = Option("state_dir", str, None, "where releases.jsonl and holds.json live", "DIR",
                    shown="$MAILFLOW_DATA_DIR/guard")
#: the settings of ``mailflow guard list | release | drop``
COMMAND_OPTIONS = Options(ENV, [_POSTFIX_CONFIG, _STATE_DIR])

OPTIONS = Options(ENV, [
    Option("policy_listen", listen_or_none, listen_or_none(DEFAULT_POLICY_LISTEN), "address of the Postfix policy "
           "service (check_policy_service inet:HOST:PORT; 'none': no policy service)", "HOST:PORT",
           shown=DEFAULT_POLICY_LISTEN),
    Option("inline", default=False, switch=True, help="the milter scores each message itself (message-local checks)"),
    Option("fail_closed", default=False, switch=True,
           help="hold every message while the alert view is stale (default: fail open)"),
    _POSTFIX_CONFIG,
    _STATE_DIR,
    Option("max_staleness", float, 30.0, "the alert view is stale when the broker has not answered for S seconds",
           "S", shown="30"),
    Option("lookback", float, None, "alerts read back at start, seconds", "S", shown="the episode quiet period"),
    Option("quiet_seconds", float, None, "a hold ends after S seconds without a critical alert for its sender", "S",
           shown="detector setting episode_quiet_seconds, 3600"),
]) + Options(ENV, milter_options("milter_listen", "", listen_shown="none (no milter)"))


def _parser() -> argparse.ArgumentParser:
    return OPTIONS.parser("mailflow guard", description=(
        "Hold an account's next messages at the MTA while it is under an open critical episode: a Postfix "
        "policy service (action=HOLD) and/or a milter (quarantine; --inline scores each message itself). "
        "Sub-commands: `mailflow guard list`, `release SENDER`, `drop SENDER` (each has --help). "
        "Also takes every `mailflow worker` option (--broker, --alerts-topic, ...)."))


def parse_guard_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None):
    """(MilterSettings, GuardOptions, policy (host, port) or None, postfix config dir); raises ConfigError."""
    from detectors.config import SentinelConfig, settings_from_env

    env = os.environ if env is None else env
    parsed = OPTIONS.parse(argv, env)
    o, problems = parsed.values, parsed.problems
    worker = worker_settings("guard", parsed.rest, env, problems)
    if o.policy_listen is None and o.milter_listen is None and not problems:
        problems.append("nothing to serve: give --policy-listen and/or --milter-listen")
    if o.inline and o.milter_listen is None:
        problems.append("inline: --inline scores in the milter; give --milter-listen too")
    quiet = o.quiet_seconds
    if quiet is None:
        quiet = float(SentinelConfig.from_mapping(settings_from_env(env)).episode_quiet_seconds)
    lookback = quiet if o.lookback is None else o.lookback
    for name, v in (("quiet_seconds", quiet), ("lookback", lookback), ("max_staleness", o.max_staleness)):
        if not 0 < v <= 30 * 86400:
            problems.append(f"{name}: {v} must be between 0 and {30 * 86400} seconds")
    _check_postfix_config(o.postfix_config, problems)
    if problems:
        raise ConfigError(problems)
    opts = GuardOptions(quiet_seconds=quiet, lookback=lookback, max_staleness=o.max_staleness,
                        fail_closed=o.fail_closed, inline=o.inline,
                        state_dir=o.state_dir or os.path.join(worker.data_dir, "guard"))
    return milter_settings(o, worker, "milter_listen"), opts, o.policy_listen, o.postfix_config


def _check_postfix_config(path: str | None, problems: list[str]) -> None:
    if path and not os.path.isdir(path):
        problems.append(f"postfix_config: {path!r} is not a directory")


# ---------------------------------------------------------------------------- service
async def _queue_gauge(pq, gauge, interval: float = 15.0) -> None:
    from .postqueue import QueueError

    loop = asyncio.get_running_loop()
    while True:
        try:
            held = await loop.run_in_executor(None, pq.held)
            gauge.set(len(held))
        except QueueError as exc:
            log.debug("guard: postqueue failed: %s", exc)
        await asyncio.sleep(interval)


def serve(settings) -> int:
    milter, opts, policy, pf = settings
    w = milter.worker
    # aiokafka logs every failed fetch/reconnect at ERROR (several a second while the broker is
    # down); the guard logs the view going stale and fresh again itself (streams.guard.service)
    setup_logging(w.log_level, {"kafka": logging.WARNING, "aiokafka": logging.CRITICAL}, w.log_format)
    from prometheus_client import CollectorRegistry, Gauge

    from streams.taps.milter import MilterServer

    from .milter import GuardMilterHandler
    from .policy import PolicyServer
    from .service import Guard

    registry = CollectorRegistry()
    guard = Guard(w, opts, registry)
    start_metrics(registry, w)

    async def run() -> int:
        servers = []
        if policy is not None:
            ps = PolicyServer(guard.policy_action, policy[0], policy[1])
            servers.append(("policy service", ps))
        if milter.listen_port >= 0:
            handler = GuardMilterHandler(guard, milter.mime, inline=opts.inline)
            ms = MilterServer(handler, milter.listen_host, milter.listen_port, timeout=milter.timeout,
                              max_body=milter.max_body, quarantine=True,
                              on_verdict=lambda v, s: guard.metrics.milter_seconds.observe(s))
            servers.append(("milter", ms))
        for name, srv in servers:
            try:
                await srv.start()
            except OSError as exc:
                raise Fail(f"cannot listen ({name}) on {srv.host}:{srv.port}: {exc}") from None
        guard.start()
        tasks = []
        if pf:
            from .postqueue import Postqueue

            g = Gauge("mailflow_guard_queue_held_messages", "Messages in Postfix's hold queue (postqueue -j)",
                      registry=registry)
            tasks.append(asyncio.ensure_future(_queue_gauge(Postqueue(pf), g)))
        where = ", ".join(f"{n} on {s.host}:{s.bound_port}" for n, s in servers)
        log.info("guard: %s; broker %s, alerts %s, inline %s, fail %s, quiet %.0fs, state %s", where,
                 ",".join(w.bootstrap_servers), w.alerts_topic, opts.inline,
                 "closed" if opts.fail_closed else "open", opts.quiet_seconds, opts.state_dir)
        print(f"mailflow guard: {where}", file=sys.stderr, flush=True)
        await until_stopped()
        log.info("guard stopping")
        for t in tasks:
            t.cancel()
        for _, srv in servers:
            await srv.stop()
        await guard.stop()
        return 0

    return asyncio.run(run())


# ---------------------------------------------------------------------------- commands
_COMMANDS = {
    "list": "Held mail in Postfix's hold queue, by envelope sender, and the guard's open holds.",
    "release": "Release SENDER's held mail (postsuper -H, then postqueue -i) and lift the guard's hold of SENDER.",
    "drop": "Delete SENDER's held mail for good (postsuper -d); the guard's hold stays until its episode ends.",
}


def _cmd_parser(cmd: str) -> argparse.ArgumentParser:
    p = COMMAND_OPTIONS.parser(f"mailflow guard {cmd}", description=_COMMANDS[cmd])
    if cmd != "list":
        p.add_argument("sender", metavar="SENDER", help="the envelope sender address")
    p.add_argument("--json", action="store_true", help="JSON output")
    if cmd == "drop":
        p.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    return p


def parse_command_settings(cmd: str, argv: Sequence[str], env: Mapping[str, str]):
    """``(arguments, postfix config dir or None, state dir)`` of a sub-command: the guard's
    settings through :data:`COMMAND_OPTIONS` (flags, then ``MAILFLOW_GUARD_*``), the state
    directory's default from the worker settings' ``data_dir``; raises ConfigError."""
    ns = _cmd_parser(cmd).parse_args(list(argv))  # usage errors exit 2 with argparse's message
    parsed = COMMAND_OPTIONS.parse(argv, env)
    o, problems = parsed.values, parsed.problems
    _check_postfix_config(o.postfix_config, problems)
    state_dir = o.state_dir
    if state_dir is None:
        worker = worker_settings("guard", [], env, problems)
        state_dir = os.path.join(worker.data_dir, "guard") if worker is not None else ""
    if problems:
        raise ConfigError(problems)
    return ns, o.postfix_config, state_dir


def command(cmd: str, argv: Sequence[str], env: Mapping[str, str]) -> int:
    from .postqueue import Postqueue, QueueError

    try:
        ns, pf, state_dir = parse_command_settings(cmd, argv, env)
    except ConfigError as exc:
        print(f"mailflow guard {cmd}: {exc}", file=sys.stderr)
        return 2
    pq = Postqueue(pf)
    try:
        if cmd == "list":
            held = pq.held()
            try:
                with open(os.path.join(state_dir, HOLDS)) as f:
                    snap = json.load(f)
            except (OSError, ValueError):
                snap = None
            by_sender: dict[str, list] = {}
            for m in held:
                by_sender.setdefault(m.sender.lower(), []).append(m)
            if ns.json:
                print(json.dumps({"held": {s: [{"queue_id": m.queue_id, "arrival_time": m.arrival_time,
                                                "recipients": len(m.recipients), "size": m.size} for m in ms]
                                           for s, ms in by_sender.items()},
                                  "guard": snap}, indent=1, sort_keys=True))
                return 0
            print(f"held messages in Postfix's hold queue: {len(held)}")
            for s, ms in sorted(by_sender.items(), key=lambda kv: -len(kv[1])):
                oldest = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(min(m.arrival_time for m in ms)))
                print(f"  {s or '<>'}: {len(ms)} message(s), oldest {oldest} UTC, "
                      f"{sum(len(m.recipients) for m in ms)} recipient(s); ids {' '.join(m.queue_id for m in ms[:10])}"
                      f"{' ...' if len(ms) > 10 else ''}")
            if snap is None:
                print(f"guard: no state in {state_dir} (is the guard running with --state-dir {state_dir}?)")
            else:
                age = time.time() - float(snap.get("written") or 0)
                print(f"guard holds (state written {age:.0f}s ago{', VIEW STALE' if snap.get('stale') else ''}): "
                      f"{len(snap.get('holds') or [])}")
                for h in snap.get("holds") or []:
                    left = float(h["expires"]) - time.time()
                    print(f"  {h['sender']}: {h['origin']}, detectors {','.join(h['detectors']) or '-'}, "
                          f"templates {','.join(h['templates']) or '-'}, ends in {max(0, left) / 60:.0f} min "
                          f"unless another critical alert")
            return 0
        sender = ns.sender.strip().strip("<>").lower()
        if "@" not in sender:
            print(f"mailflow guard {cmd}: {ns.sender!r} is not an address", file=sys.stderr)
            return 2
        held = pq.held(sender)
        ids = [m.queue_id for m in held]
        if cmd == "drop" and ids and not ns.yes:
            if not sys.stdin.isatty():
                print("mailflow guard drop: deletes mail for good; add --yes", file=sys.stderr)
                return 2
            if input(f"delete {len(ids)} held message(s) of {sender} for good? [y/N] ").strip().lower() != "y":
                return 1
        now = time.time()
        if cmd == "release":
            # the marker first: the guard lifts the hold before the released mail is delivered
            append_marker(state_dir, {"action": "release", "sender": sender, "at": now, "messages": len(ids)})
            pq.release(ids)
        else:
            pq.delete(ids)
            append_marker(state_dir, {"action": "drop", "sender": sender, "at": now, "messages": len(ids)})
        verb = "released" if cmd == "release" else "deleted"
        if ns.json:
            print(json.dumps({"sender": sender, verb: ids}))
        else:
            print(f"{verb} {len(ids)} held message(s) of {sender}"
                  + ("; the guard's hold of this sender is lifted" if cmd == "release" else ""))
        return 0
    except QueueError as exc:
        print(f"mailflow guard {cmd}: {exc}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("list", "release", "drop"):
        return command(argv[0], argv[1:], os.environ if env is None else env)
    return run_command("guard", argv, env, parser=_parser, parse=parse_guard_settings, serve=serve)

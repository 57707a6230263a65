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
import signal
import sys
import time
from typing import Mapping, Sequence

from detectors.errors import ConfigError

from .service import HOLDS, GuardOptions, append_marker

__all__ = ["main", "parse_guard_settings", "DEFAULT_POLICY_LISTEN", "DEFAULT_METRICS_PORT"]

log = logging.getLogger("mailflow.guard")

ENV = "MAILFLOW_GUARD_"
DEFAULT_POLICY_LISTEN = "127.0.0.1:10040"
DEFAULT_METRICS_PORT = 9111


def _guard_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy-listen", metavar="HOST:PORT",
                   help=f"address of the Postfix policy service (check_policy_service inet:HOST:PORT) "
                        f"[env {ENV}POLICY_LISTEN; default {DEFAULT_POLICY_LISTEN}; 'none': no policy service]")
    p.add_argument("--inline", action="store_true", default=None,
                   help=f"the milter scores each message itself (message-local checks) [env {ENV}INLINE]")
    p.add_argument("--fail-closed", action="store_true", default=None,
                   help=f"hold every message while the alert view is stale (default: fail open) [env {ENV}FAIL_CLOSED]")
    p.add_argument("--postfix-config", metavar="DIR",
                   help=f"Postfix config directory (postqueue/postsuper -c DIR) [env {ENV}POSTFIX_CONFIG]")
    p.add_argument("--state-dir", metavar="DIR",
                   help=f"where releases.jsonl and holds.json live [env {ENV}STATE_DIR; default DATA_DIR/guard]")
    p.add_argument("--max-staleness", type=float, metavar="S",
                   help=f"the alert view is stale when the broker has not answered for S seconds [env {ENV}MAX_STALENESS; default 30]")
    p.add_argument("--lookback", type=float, metavar="S",
                   help=f"alerts read back at start, seconds [env {ENV}LOOKBACK; default: the episode quiet period]")
    p.add_argument("--quiet-seconds", type=float, metavar="S",
                   help="a hold ends after S seconds without a critical alert for its sender "
                        "[default: detector setting episode_quiet_seconds, 3600]")


def _bool_env(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on")


def parse_guard_settings(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None):
    """(MilterSettings, GuardOptions, policy (host, port) or None); raises ConfigError."""
    from streams.taps.milter import parse_milter_settings

    env = os.environ if env is None else env
    milter, ns = parse_milter_settings(argv, env, env_prefix=ENV, default_metrics_port=DEFAULT_METRICS_PORT,
                                       prog="mailflow guard", extra=_guard_flags, listen_default="",
                                       listen_flag="--milter-listen", listen_env="MILTER_LISTEN")
    problems: list[str] = []
    w = milter.worker

    def pick(name, conv, default):
        v = getattr(ns, name, None)
        if v is not None:
            return v
        raw = env.get(ENV + name.upper())
        if raw in (None, ""):
            return default
        try:
            return conv(raw)
        except (TypeError, ValueError):
            problems.append(f"{name}: {raw!r} (from {ENV + name.upper()}) is not valid")
            return default

    policy_listen = pick("policy_listen", str, DEFAULT_POLICY_LISTEN)
    policy = None
    if policy_listen.strip().lower() != "none":
        host, _, port_s = policy_listen.rpartition(":")
        try:
            port = int(port_s)
            if not host or not 0 <= port < 65536:
                raise ValueError
            policy = (host.strip("[]"), port)
        except ValueError:
            problems.append(f"policy_listen: {policy_listen!r} is not HOST:PORT")
    if policy is None and milter.listen_port < 0 and not problems:
        problems.append("nothing to serve: give --policy-listen and/or --milter-listen")
    from detectors.config import SentinelConfig

    from detectors.config import settings_from_env

    detector_settings = settings_from_env(env)
    quiet_default = float(SentinelConfig.from_mapping(detector_settings).episode_quiet_seconds)
    quiet = pick("quiet_seconds", float, quiet_default)
    lookback = pick("lookback", float, quiet)
    staleness = pick("max_staleness", float, 30.0)
    for name, v in (("quiet_seconds", quiet), ("lookback", lookback), ("max_staleness", staleness)):
        if not 0 < v <= 30 * 86400:
            problems.append(f"{name}: {v} must be between 0 and {30 * 86400} seconds")
    inline = ns.inline if ns.inline is not None else _bool_env(env.get(ENV + "INLINE"))
    fail_closed = ns.fail_closed if ns.fail_closed is not None else _bool_env(env.get(ENV + "FAIL_CLOSED"))
    if inline and milter.listen_port < 0:
        problems.append("inline: --inline scores in the milter; give --milter-listen too")
    pf = pick("postfix_config", str, None)
    if pf and not os.path.isdir(pf):
        problems.append(f"postfix_config: {pf!r} is not a directory")
    state_dir = pick("state_dir", str, os.path.join(w.data_dir, "guard"))
    if problems:
        raise ConfigError(problems)
    opts = GuardOptions(quiet_seconds=quiet, lookback=lookback, max_staleness=staleness, fail_closed=fail_closed,
                        inline=inline, state_dir=state_dir)
    return milter, opts, policy, pf


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


def serve(argv: Sequence[str], env: Mapping[str, str]) -> int:
    try:
        milter, opts, policy, pf = parse_guard_settings(argv, env)
    except ConfigError as exc:
        print(f"mailflow guard: {exc}", file=sys.stderr)
        return 2
    w = milter.worker
    logging.basicConfig(level=w.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if w.log_level != "debug":
        logging.getLogger("kafka").setLevel(logging.WARNING)
        # aiokafka logs every failed fetch/reconnect at ERROR (several a second while the broker is
        # down); the guard logs the view going stale and fresh again itself (streams.guard.service)
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    from prometheus_client import CollectorRegistry, Gauge

    from streams.taps.milter import MilterServer
    from streams.worker import serve_metrics

    from .milter import GuardMilterHandler
    from .policy import PolicyServer
    from .service import Guard

    registry = CollectorRegistry()
    guard = Guard(w, opts, registry)
    try:
        serve_metrics(registry, w)
    except OSError as exc:
        print(f"mailflow guard: cannot serve /metrics on {w.metrics_host}:{w.metrics_port}: {exc}", file=sys.stderr)
        return 2

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
                print(f"mailflow guard: cannot listen ({name}) on {srv.host}:{srv.port}: {exc}", file=sys.stderr)
                return 2
        guard.start()
        tasks = []
        if pf:
            from .postqueue import Postqueue

            g = Gauge("mailflow_guard_queue_held_messages", "Messages in Postfix's hold queue (postqueue -j)",
                      registry=registry)
            tasks.append(asyncio.ensure_future(_queue_gauge(Postqueue(pf), g)))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover
                pass
        where = ", ".join(f"{n} on {s.host}:{s.bound_port}" for n, s in servers)
        log.info("guard: %s; broker %s, alerts %s, inline %s, fail %s, quiet %.0fs, state %s", where,
                 ",".join(w.bootstrap_servers), w.alerts_topic, opts.inline,
                 "closed" if opts.fail_closed else "open", opts.quiet_seconds, opts.state_dir)
        print(f"mailflow guard: {where}", file=sys.stderr, flush=True)
        await stop.wait()
        log.info("guard stopping")
        for t in tasks:
            t.cancel()
        for _, srv in servers:
            await srv.stop()
        await guard.stop()
        return 0

    return asyncio.run(run())


# ---------------------------------------------------------------------------- commands
def _cmd_parser(cmd: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"mailflow guard {cmd}", allow_abbrev=False, description={
        "list": "Held mail in Postfix's hold queue, by envelope sender, and the guard's open holds.",
        "release": "Release SENDER's held mail (postsuper -H, then postqueue -i) and lift the guard's hold of SENDER.",
        "drop": "Delete SENDER's held mail for good (postsuper -d); the guard's hold stays until its episode ends.",
    }[cmd])
    if cmd != "list":
        p.add_argument("sender", metavar="SENDER", help="the envelope sender address")
    p.add_argument("--postfix-config", metavar="DIR", help=f"Postfix config directory [env {ENV}POSTFIX_CONFIG]")
    p.add_argument("--state-dir", metavar="DIR", help=f"the guard's state directory [env {ENV}STATE_DIR; "
                                                      f"default $MAILFLOW_DATA_DIR/guard]")
    p.add_argument("--json", action="store_true", help="JSON output")
    if cmd == "drop":
        p.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    return p


def command(cmd: str, argv: Sequence[str], env: Mapping[str, str]) -> int:
    from .postqueue import Postqueue, QueueError

    ns = _cmd_parser(cmd).parse_args(list(argv))
    pf = ns.postfix_config or env.get(ENV + "POSTFIX_CONFIG") or None
    state_dir = ns.state_dir or env.get(ENV + "STATE_DIR") or os.path.join(
        env.get("MAILFLOW_DATA_DIR") or "mailflow-data", "guard")
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
    env = os.environ if env is None else env
    if argv and argv[0] in ("list", "release", "drop"):
        return command(argv[0], argv[1:], env)
    if any(a in ("-h", "--help") for a in argv):
        from streams.settings import build_parser
        from streams.taps.milter import milter_args

        p = argparse.ArgumentParser(prog="mailflow guard", description=(
            "Hold an account's next messages at the MTA while it is under an open critical episode: a Postfix "
            "policy service (action=HOLD) and/or a milter (quarantine; --inline scores each message itself). "
            "Sub-commands: `mailflow guard list`, `release SENDER`, `drop SENDER` (each has --help). "
            "Also takes every `mailflow worker` option (--broker, --alerts-topic, ...)."))
        _guard_flags(p)
        milter_args(p, ENV, listen_flag="--milter-listen", listen_default="none (no milter)", listen_env="MILTER_LISTEN")
        p.print_help()
        print("\nworker settings (same flags and MAILFLOW_* variables as `mailflow worker`):")
        build_parser().print_help()
        return 0
    return serve(argv, env)

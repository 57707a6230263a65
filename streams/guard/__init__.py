"""``mailflow guard``: hold an account's next messages at the MTA (issue 12, docs/connect-your-mail.md).

* :mod:`streams.guard.holds` -- the hold set (pure logic);
* :mod:`streams.guard.policy` -- Postfix's policy delegation protocol server;
* :mod:`streams.guard.alerts` -- the ``mail.alerts`` consumer feeding the hold set;
* :mod:`streams.guard.milter` -- the guard's milter (quarantine; ``--inline`` scoring);
* :mod:`streams.guard.postqueue` -- ``postqueue``/``postsuper`` for held mail;
* :mod:`streams.guard.service` -- the service: decisions, releases, metrics;
* :mod:`streams.guard.cli` -- ``mailflow guard`` and ``list`` / ``release`` / ``drop``.
"""

__all__ = ["main"]


def main(argv=None) -> int:
    from .cli import main as _main

    return _main(argv)

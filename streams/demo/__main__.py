"""``python -m streams.demo``: the same as ``mailflow demo``."""

import sys

from . import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

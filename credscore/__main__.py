"""``python -m credscore``: the command line (see :mod:`credscore.cli`)."""

from credscore.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

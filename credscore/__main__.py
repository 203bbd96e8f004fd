"""``python -m credscore``: the command line (see :mod:`credscore.cli.main`)."""

from credscore.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())

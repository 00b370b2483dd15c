"""``python -m polyfn``: the same as the ``polyfn`` command."""

from polyfn.cli import main

raise SystemExit(main())

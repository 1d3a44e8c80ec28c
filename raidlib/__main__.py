"""``python -m raidlib``: the ``raidlib`` command, for environments without its script on PATH."""

from raidlib.cli import main

raise SystemExit(main())

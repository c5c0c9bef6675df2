"""``python -m wyoming_rt``."""

from wyoming_rt.cli import main

raise SystemExit(main())

"""``python -m wyoming_rt``."""

from .cli import main

raise SystemExit(main())

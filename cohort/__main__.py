"""``python -m cohort``."""

from cohort.cli import main

raise SystemExit(main())

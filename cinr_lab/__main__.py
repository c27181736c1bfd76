"""``python -m cinr_lab`` is the same as the ``cinr-lab`` console script."""

from cinr_lab.ops.cli import main

raise SystemExit(main())

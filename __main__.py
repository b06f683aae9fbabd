"""`python -m perfrules`: the same as the `perfrules` command."""

import sys

from perfrules.cli import main

sys.exit(main())

"""``python -m ember``: see :mod:`ember.cli`."""

import sys

from ember.cli import main

sys.exit(main())

"""``python -m ember``: see :mod:`ember.cli`."""

import sys

try:
    from ember.cli import main

    status = main()
except KeyboardInterrupt:  # Ctrl-C while Ember is still loading: no traceback
    print("interrupted", file=sys.stderr)
    status = 130
sys.exit(status)

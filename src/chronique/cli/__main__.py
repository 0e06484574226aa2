"""``python -m chronique.cli``, the same program as the ``chronique`` script."""

import sys

from chronique.cli.app import main

if __name__ == "__main__":
    sys.exit(main())

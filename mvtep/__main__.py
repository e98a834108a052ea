"""``python -m mvtep``."""

import sys

from mvtep.cli.main import main

sys.exit(main())

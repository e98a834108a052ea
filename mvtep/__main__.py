"""``python -m mvtep``."""

import sys

from mvtep.cli.entry import main

sys.exit(main())

"""`python -m offline`: run the local stack (see offline/stack.py)."""

import sys

from offline.stack import main

sys.exit(main())

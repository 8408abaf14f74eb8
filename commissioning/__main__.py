import sys

from commissioning.cli import main

sys.exit(main())

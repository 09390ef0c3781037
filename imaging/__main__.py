import sys

from imaging.cli import main

sys.exit(main())

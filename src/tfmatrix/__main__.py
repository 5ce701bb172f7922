import sys

from tfmatrix.cli import main

sys.exit(main())

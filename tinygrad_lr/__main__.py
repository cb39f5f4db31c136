"""`python -m tinygrad_lr ...`: see tinygrad_lr/cli.py."""
import sys

from .cli import main

sys.exit(main())

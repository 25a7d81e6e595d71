# `python -m pynatsd.bench SCENARIO [options]`, the same as `pynatsd bench SCENARIO [options]`.
# Guarded: worker processes import the main module of their parent.
from __future__ import annotations

import sys

from pynatsd.bench.cli import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

from pynatsd.cli import main

raise SystemExit(main())

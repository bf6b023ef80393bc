from gdcore.cli import main

raise SystemExit(main())

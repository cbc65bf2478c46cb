from audit_lib.cli import main

raise SystemExit(main())

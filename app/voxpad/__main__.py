from voxpad.cli import main

raise SystemExit(main())

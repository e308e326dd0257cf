"""Entry point of the PyInstaller bundle: the same ``voxpad`` command, with frozen checks first."""

from voxpad.frozen import main

raise SystemExit(main())

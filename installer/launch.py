"""Entry point of the frozen application: the same as the ``agent-desk`` command."""

import sys

from agent_desk.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m agent_desk`` runs the ``agent-desk`` command."""

import sys

from agent_desk.cli import main

sys.exit(main())

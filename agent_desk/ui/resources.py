"""Where the desktop's resources (themes, icons, translations) live: see agent_desk._resources."""

from agent_desk._resources import resource, resources_dir

__all__ = ["resource", "resources_dir"]

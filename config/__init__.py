"""Settings of Opgavepost: defaults, read from environment variables (see example.env)."""

from config.settings import ConfigError, Settings, load_settings, read_settings

__all__ = ["ConfigError", "Settings", "load_settings", "read_settings"]

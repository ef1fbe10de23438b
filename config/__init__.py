"""Settings of Opgavepost: defaults, read from environment variables (see example.env)."""

from config.settings import ConfigError, Settings, TestingSettings, load_settings

__all__ = ["ConfigError", "Settings", "TestingSettings", "load_settings"]

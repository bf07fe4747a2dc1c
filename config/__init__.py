"""Configuration: one Settings class read from NASHR_* variables, and what is built from it."""

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]

"""Versions: the distribution's and the plugin API's (what plugins declare compatibility with)."""

__version__ = "1.0.0"
"""The `fusionhub` distribution's version: hatch reads it from here at build time (docs/releasing.md)."""

CORE_API_VERSION = "1.0"
"""The plugin API version. Minor bumps add hooks; a major bump breaks plugins."""

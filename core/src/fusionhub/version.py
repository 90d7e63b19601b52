"""Versions: the distribution's and the plugin API's (what plugins declare compatibility with)."""

from importlib.metadata import PackageNotFoundError, version

CORE_API_VERSION = "1.0"
"""The plugin API version. Minor bumps add hooks; a major bump breaks plugins."""

try:
    __version__ = version("fusionhub")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

"""Shopify plugin for Fusion Stage Hub (GraphQL Admin API).

Importing the package does no work; the plugin module (entry point) holds the hookimpls and
the sandbox lives in `fusionhub_shopify.sandbox`.
"""

__version__ = "1.0.0"

"""Fusion Stage Hub plugin for Amazon Seller Central (Selling Partner API), slug `amazon-sc`."""

__version__ = "0.1.0"

"""Fusion Stage Hub plugin for Amazon Seller Central (Selling Partner API), slug `amazon-sc`."""

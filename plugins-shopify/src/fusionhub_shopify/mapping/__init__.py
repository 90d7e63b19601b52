"""Shopify payloads ↔ fusionhub models, one module per resource."""

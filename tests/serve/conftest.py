from serve_fixtures import served

__all__ = ["served"]

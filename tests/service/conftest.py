from support.built import build

__all__ = ["build"]

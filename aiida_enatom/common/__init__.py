"""Shared enums and small types (pure)."""

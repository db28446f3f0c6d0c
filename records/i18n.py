"""Marking strings for translation without importing a web framework."""


def N_(message: str) -> str:
    """Mark ``message`` for extraction; the portal translates it when shown."""
    return message

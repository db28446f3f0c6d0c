"""Background work ``portal serve`` and ``portal worker`` start: deadlines, e-mail."""

"""Notifications and e-mail digests, registered like any plugin."""

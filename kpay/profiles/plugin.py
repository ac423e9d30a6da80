"""Member profiles and settings, registered like any plugin."""

"""Download my data and delete my account, registered like any plugin."""

"""Backups: one archive holding the database, the upload folders, optionally the configuration,
and a manifest that restore and ``kpay backup --verify`` check (see docs/backups.md)."""

"""Storage, registered like any plugin: resumable uploads' routes, the cleanup sweep and
``kpay storage``."""

from kpay.hookspecs import hookimpl
from kpay.types import Schedule


@hookimpl
def kpay_blueprints():
    from kpay.resumable import bp

    return [bp]


@hookimpl
def kpay_schedules():
    return [Schedule("storage.sweep", sweep, minutes=60)]


def sweep() -> None:
    """Delete orphaned uploads past their grace period and stale partial uploads."""
    from kpay.resumable import sweep_stale
    from kpay.storage.folders import sweep as sweep_orphans

    sweep_orphans()
    sweep_stale()


@hookimpl
def kpay_cli(cli):
    from kpay.storage.commands import storage_group

    cli.add_command(storage_group)

"""The ``kpay`` command: run, worker, demo, plugins, users, db (Flask-Migrate), backup, restore."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command, with_appcontext
from flask_migrate.cli import db as db_group
from flask_migrate import upgrade as migrate_upgrade
from werkzeug.serving import run_simple

from kpay import config as site_config
from kpay import plugins, site_settings
from kpay.backup.commands import backup_command, restore_command
from kpay.config import ConfigError
from kpay.models.users import ROLES


def _make_app():
    """The site's app for a command; a configuration error exits 2 with one line."""
    from kpay.app import create_app

    try:
        return create_app()
    except ConfigError as error:
        _config_error(error)


class KPayGroup(FlaskGroup):
    """Flask's command group, plus ``kpay db`` (upgrade to all heads) and plugins' commands.

    Plugins' commands are gathered per app from ``kpay_cli`` into a group of their own, so
    the commands of the plugins one app enables never leak into another app.
    """

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        super()._load_plugin_commands()
        self.add_command(db_group, "db")

    def _kpay_plugin_commands(self, ctx) -> click.Group:
        group = click.Group()
        app = ctx.ensure_object(ScriptInfo).load_app()
        app.extensions["kpay"].pm.hook.kpay_cli(cli=group)
        return group

    def get_command(self, ctx, name):
        self._load_plugin_commands()
        command = click.Group.get_command(self, ctx, name)
        if command is None:
            command = self._kpay_plugin_commands(ctx).get_command(ctx, name)
        return command

    def list_commands(self, ctx):
        self._load_plugin_commands()
        try:
            names = self._kpay_plugin_commands(ctx).list_commands(ctx)
        except SystemExit:  # the configuration error was printed; still list the core's
            names = []
        return sorted({*self.commands, *names})


cli = KPayGroup(
    name="kpay", create_app=_make_app, add_default_commands=False, load_dotenv=False,
    help="Run and manage a KPay community site.",
)
cli.add_command(shell_command)
cli.add_command(routes_command)
cli.add_command(backup_command)
cli.add_command(restore_command)


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
@with_appcontext
def upgrade_command(revision: str, sql: bool) -> None:
    """Apply migrations of the core and every enabled plugin (all heads)."""
    migrate_upgrade(revision=revision, sql=sql)


@db_group.command("revision")
@click.option("-m", "--message", help="What the revision does.")
@click.option("--autogenerate", is_flag=True, help="Fill it in by comparing the models with the database.")
@click.option("--plugin", help="Add it to this plugin's own branch (its first one starts the branch).")
@click.option("--head", default="head", show_default=True, help="The revision it follows (without --plugin).")
@click.option("--rev-id", help="Its id (without --plugin; default: a random one).")
@with_appcontext
def revision_command(message: str | None, autogenerate: bool, plugin: str | None, head: str, rev_id: str | None) -> None:
    """Write a new revision: the core's, or with --plugin NAME that plugin's next one."""
    from flask_migrate import revision

    if not plugin:
        revision(message=message, autogenerate=autogenerate, head=head, rev_id=rev_id)
        return
    from kpay.plugin_revisions import revise

    try:
        path = revise(plugin, message or "", autogenerate)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {path}; read it before you commit it.")


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve the site with the development server (and the minute clock in embedded mode).

    Without ``site_url``, the address served here is the site's address, so jobs and the
    clock build their links to it.
    """
    from kpay import clock
    from kpay.app import create_app, use_site_url
    from kpay.reloading import ReloadingApp

    def build(app=None):
        app = app or create_app()
        if not app.config["KPAY"]["site_url"]:
            use_site_url(app, served_url(host, port))
        return app

    served = ReloadingApp(build, build(_app()))
    if not served.app.config["KPAY"]["redis_url"]:
        clock.start_thread(served.app)
    click.echo(f" * KPay serving http://{host}:{port}/ (Ctrl+C to stop)")
    # Werkzeug's server itself: Flask's app.run() does nothing when called from its own CLI.
    run_simple(host, port, served, use_reloader=False, use_debugger=False, threaded=True)


def served_url(host: str, port: int) -> str:
    """The address ``kpay run --host HOST --port PORT`` serves (localhost for every interface)."""
    if host in ("0.0.0.0", "::", ""):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when nothing is left to do (for tests and cron).")
@click.option("--no-clock", is_flag=True, help="Do not run the minute clock in this worker.")
@with_appcontext
def worker_command(burst: bool, no_clock: bool) -> None:
    """Run background jobs from Redis (or the database outbox while it is away) and tick the clock."""
    from kpay import jobs, worker

    app = _app()
    queue = jobs.queue(app)
    where = f"queue {queue.name!r}" if queue is not None else "the database outbox (no redis_url)"
    click.echo(f" * KPay worker on {where}")
    worker.run(app, burst=burst, with_clock=not no_clock)


@cli.command("demo")
@click.option("--plugin", help="Add only this enabled plugin's demo data, to a site that has members.")
@with_appcontext
def demo_command(plugin: str | None) -> None:
    """Fill an empty database with the demo community and print the owner's login."""
    from kpay import demo, jobs

    app = _app()
    # Demo content may e-mail its members: links point at site_url, else at `kpay run`'s address.
    base_url = app.config["KPAY"]["site_url"] or served_url("127.0.0.1", 5000)
    with app.test_request_context("/", base_url=base_url):
        if plugin:
            try:
                demo.add_plugin_demo(plugin)
            except ValueError as error:
                raise click.ClickException(str(error)) from None
            jobs.run_queued_inline()
            click.echo(f"Demo data of {plugin} added.")
            return
        owner = demo.build()
        jobs.run_queued_inline()
    if owner is None:
        click.echo("The database already has members; no demo data added.")
        return
    click.echo("Demo community created. Log in as the owner:")
    click.echo(f"  e-mail:   {owner.email}")
    click.echo(f"  password: {demo.DEMO_PASSWORD}")


@cli.group("plugins")
def plugins_group() -> None:
    """List, enable and disable plugins."""


@plugins_group.command("list", with_appcontext=False)
def plugins_list() -> None:
    """Show every installed plugin: version, source, state and hooks."""
    rows = plugins.describe(_site_settings()["plugins"]["enabled"])
    if not rows:
        click.echo("No plugins installed.")
    for info in rows:
        state = "enabled" if info.enabled else "disabled"
        click.echo(f"{info.name:<20} {info.version:<10} {state:<9} {info.source}")
        click.echo(f"{'':<20} hooks: {', '.join(info.hooks) or '-'}")


@plugins_group.command("enable", with_appcontext=False)
@click.argument("name")
def plugins_enable(name: str) -> None:
    """Add NAME to [plugins] enabled in kpay.toml, then reload gunicorn or ask for a restart."""
    try:
        plugins.load_module(name)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    _set_enabled(name, True)


@plugins_group.command("disable", with_appcontext=False)
@click.argument("name")
def plugins_disable(name: str) -> None:
    """Remove NAME from [plugins] enabled in kpay.toml; its data stays."""
    _set_enabled(name, False)


@plugins_group.command("new", with_appcontext=False)
@click.argument("name")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write it (default: ./NAME).")
def plugins_new(name: str, directory: Path | None) -> None:
    """Write a new plugin package NAME that passes its own tests: see its README."""
    from kpay.scaffold import ScaffoldError, write_plugin

    folder = directory or Path(name)
    try:
        written = write_plugin(name, folder)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {len(written)} files in {folder}. Next:")
    click.echo(f"  pip install -e {folder}  &&  (cd {folder} && pytest)")
    click.echo(f"  kpay plugins enable {name}  &&  kpay db upgrade")


@cli.group("users")
def users_group() -> None:
    """Manage members."""


@users_group.command("create")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_create(email: str, display_name: str, role: str, password: str) -> None:
    """Create a member with a role (use --role owner for the first account)."""
    from kpay.accounts import AccountError, create_user
    from kpay.extensions import db
    from kpay.models.base import utcnow

    try:
        user = create_user(email, display_name, password, role=role)
    except AccountError as error:
        raise click.ClickException(f"{error.field}: {error}") from None
    user.email_confirmed_at = utcnow()  # the operator vouches for the address
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


def _site_settings() -> dict:
    """The core configuration, or exit 2 with the one-line error."""
    try:
        return site_config.load(site_config.instance_path())
    except ConfigError as error:
        _config_error(error)


def _app() -> Flask:
    """The app itself, not the context-bound proxy: the threads and servers started here outlive
    the command's app context."""
    return current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy, typed as Flask


def _config_error(error: ConfigError) -> NoReturn:
    click.echo(f"kpay: configuration error: {error}", err=True)
    sys.exit(2)


def _set_enabled(name: str, enabled: bool) -> None:
    """Edit ``[plugins] enabled`` in kpay.toml, keeping its comments, and apply the change."""
    instance = site_config.instance_path()
    word = "enabled" if enabled else "disabled"
    if not site_settings.set_plugin_enabled(instance, name, enabled):
        click.echo(f"{name} is already {word}.")
        return
    click.echo(f"{name} {word} in {instance / site_config.CONFIG_FILE}.")
    if site_settings.overridden("plugins.enabled"):
        click.echo("Note: KPAY_PLUGINS_ENABLED is set and overrides the file.")
    pid_file = _site_settings()["gunicorn_pid_file"]
    pid = site_settings.reload_gunicorn(pid_file) if pid_file else None
    if pid is not None:
        click.echo(f"Sent HUP to gunicorn (pid {pid}): workers reload with the new plugin set.")
    else:
        if pid_file:
            click.echo(f"Could not signal gunicorn ({pid_file}).")
        click.echo("Restart KPay (and its workers) to apply the change.")


def main() -> None:
    """Entry point of the ``kpay`` console script."""
    logging.basicConfig(level=logging.INFO)
    cli.main(prog_name="kpay")

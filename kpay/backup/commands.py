"""``kpay backup`` (write or ``--verify`` an archive) and ``kpay restore``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from kpay.backup import archive
from kpay.backup.database import BackupError

passphrase_option = click.option(
    "--passphrase-file", type=click.File("r"),
    help="Encrypt (or decrypt) with the passphrase on this file's first line.")


def _passphrase(file) -> str | None:
    if file is None:
        return None
    text = file.readline().strip()
    if not text:
        raise click.ClickException(f"{file.name} holds no passphrase")
    return text


@click.command("backup")
@click.option("--output", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="The folder the archive is written to.")
@click.option("--include-config", is_flag=True,
              help="Also store kpay.toml, secrets.toml and the secret key (keep such an archive safe).")
@click.option("--verify", "verify_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Check this archive instead of writing one; the site is not touched.")
@passphrase_option
@with_appcontext
def backup_command(output: Path, include_config: bool, verify_path: Path | None, passphrase_file) -> None:
    """Write one archive with the database, the uploads and a manifest (or check one)."""
    passphrase = _passphrase(passphrase_file)
    try:
        if verify_path:
            with archive.opened(verify_path, passphrase) as opened:
                _describe(opened.manifest)
            click.echo("The archive is complete: every checksum and row count matches its manifest.")
            return
        if include_config:
            click.echo("Warning: the archive holds the secret key and the payment keys; "
                       "anyone with it can sign in as any member.", err=True)
        with_bar = sys.stdout.isatty()

        def progress(items):
            with click.progressbar(items, label="Backing up", item_show_func=lambda item: item[0] if item else "") as bar:
                yield from bar

        path = archive.create(output, include_config=include_config, passphrase=passphrase,
                              progress=progress if with_bar else None)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written: {path} ({path.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("archive_path", metavar="ARCHIVE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replace", is_flag=True, help="Replace a site that already holds data (asks first).")
@passphrase_option
@with_appcontext
def restore_command(archive_path: Path, replace: bool, passphrase_file) -> None:
    """Restore ARCHIVE into this instance (empty unless --replace), then migrate it to the heads."""
    from kpay.backup import restore

    passphrase = _passphrase(passphrase_file)
    try:
        with archive.opened(archive_path, passphrase) as opened:
            restore.check_versions(opened.manifest)
            there = restore.occupied()
            if there and not replace:
                raise BackupError(f"this site is not empty ({', '.join(there)}); use --replace to overwrite it")
            if there:
                click.confirm(f"Replace this site's data ({', '.join(there)}) with the archive?", abort=True)
            done = restore.restore(opened)
            _describe(opened.manifest)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {done.tables} tables ({done.rows} rows) and {done.files} files.")
    if done.config_files:
        click.echo(f"Restored configuration: {', '.join(done.config_files)}.")
    if done.migrated:
        click.echo("Migrated the database to this version's heads.")
    click.echo("Rebuild the search index if the site has one; it is not part of a backup.")


def _describe(manifest: dict) -> None:
    tables = manifest["database"]["tables"]
    click.echo(f"Archive of {manifest['created']} by KPay {manifest['kpay_version']}: "
               f"{manifest['database']['kind']} database, {len(tables)} tables, "
               f"{sum(item['rows'] for item in tables.values())} rows; "
               f"{manifest['files']['count']} files ({manifest['files']['bytes']} bytes).")

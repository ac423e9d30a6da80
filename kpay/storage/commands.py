"""``kpay storage check`` (orphans and missing files), ``kpay storage migrate`` (copy every
upload to another backend) and ``kpay storage backup`` (copy them into a local folder), each
copy verified by its checksum."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kpay.storage import build, checksum, storage
from kpay.storage import folders as upload_folders
from kpay.storage.local import LocalStorage

BACKENDS = ("local", "s3")


@click.group("storage")
def storage_group() -> None:
    """Uploaded files: check them, move them to another backend."""


@storage_group.command("check")
@with_appcontext
def check() -> None:
    """List files no row points at (removed by the sweep after the grace period) and files
    rows point at that are missing; exits 1 when any is missing."""
    missing = 0
    for report in upload_folders.check():
        click.echo(f"{report.folder.prefix}: {len(report.orphans)} orphaned, {len(report.missing)} missing")
        for item in report.orphans:
            click.echo(f"  orphan  {item.key}  {item.size} bytes  {item.modified:%Y-%m-%d %H:%M}")
        for key in report.missing:
            click.echo(f"  missing {key}")
        missing += len(report.missing)
    raise SystemExit(1 if missing else 0)


@storage_group.command("migrate")
@click.option("--to", "target_name", type=click.Choice(BACKENDS), required=True,
              help="The backend to copy to, configured in [storage] beside the current one.")
@with_appcontext
def migrate(target_name: str) -> None:
    """Copy every file of the declared folders from the current backend to ``--to``; a file
    already there with the same checksum is skipped, so a stopped run can be repeated. Then
    set storage.backend to the new one."""
    settings = {**current_app.config["KPAY"]["storage"], "backend": target_name}
    if target_name == "s3" and not settings["s3_bucket"]:
        raise click.UsageError("storage.s3_bucket: set it to migrate to s3")
    if target_name == storage().name:
        raise click.UsageError(f"the site already stores its files in {target_name}")
    _copy_all(build(settings, Path(current_app.instance_path)))
    click.echo(f"Now set storage.backend = \"{target_name}\".")


@storage_group.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup(folder: Path) -> None:
    """Copy every file of the declared folders, from whichever backend holds them, into
    FOLDER on this host (verified by checksum; files already there are skipped)."""
    _copy_all(LocalStorage(folder))


def _copy_all(target) -> None:
    """Copy the declared folders' files from the app's storage to ``target`` with a progress
    bar, skipping those already there with the same SHA-256 and verifying each copy."""
    source = storage()
    files = [item for folder in upload_folders.folders() for item in source.list(folder.prefix + "/")]
    copied = skipped = 0
    with click.progressbar(files, label="Copying", item_show_func=lambda item: item.key if item else "") as bar:
        for item in bar:
            expected = checksum(source, item.key)
            there = target.stat(item.key)
            if there is not None and there.size == item.size and checksum(target, item.key) == expected:
                skipped += 1
                continue
            with source.open(item.key) as file:
                target.save(item.key, file)
            if checksum(target, item.key) != expected:
                raise click.ClickException(f"{item.key}: the copy's checksum differs; run the command again")
            copied += 1
    click.echo(f"{copied} copied, {skipped} already there, all {len(files)} verified by SHA-256.")

"""``dcorlite backup keygen|create|verify|restore``."""
import os

import click

from . import archive, crypto, restore as restoring


@click.group("backup")
def backup_group():
    """Encrypted backups of the database, the stored files and the instance."""


@backup_group.command("keygen")
@click.argument("prefix", type=click.Path(dir_okay=False))
def keygen(prefix):
    """Write the key pair PREFIX.key (private, mode 0600) and PREFIX.pub.pem.

    Keep the private key off the server: backups are made with the public
    key alone, and only the private key opens them.
    """
    private, public = f"{prefix}.key", f"{prefix}.pub.pem"
    try:
        crypto.generate_keypair(private, public)
    except FileExistsError as exc:
        raise click.ClickException(f"{exc} exists; keys are never overwritten") from None
    click.echo(f"wrote {private} (private, readable by its owner only) and {public}")


@backup_group.command("create")
@click.option("--recipient", required=True, type=click.Path(exists=True, dir_okay=False),
              help="public key (PEM) the backup is encrypted to")
@click.option("--to", "folder", type=click.Path(file_okay=False), default=None,
              help="folder of the backups (default: BACKUP_DIR or <instance>/backups)")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="backups to keep (default: BACKUP_KEEP)")
@click.option("--full", is_flag=True, help="carry every stored file, not only new ones")
@click.pass_obj
def create(state, recipient, folder, keep, full):
    """Back up the database, new stored files, secret key, config and certificates."""
    try:
        key = crypto.load_public_key(recipient)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    app = state.app
    keep = keep or app.config["BACKUP_KEEP"]
    with app.app_context():
        info, pruned = archive.create_backup(app, key, archive.backup_dir(app, folder), keep,
                                             full=full)
    kind = "full" if info["full"] else f"incremental ({len(info['needs'])} archives to restore)"
    click.echo(f"wrote {info['name']}{archive.SUFFIX}: {kind}, {info['carried']} of "
               f"{len(info['files'])} files carried ({info['bytes_carried']} bytes)")
    for name in pruned:
        click.echo(f"removed {name}")


@backup_group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="the private key (PEM)")
def verify(path, key_path):
    """Decrypt ARCHIVE, check every chunk and every file's SHA-256, and name its chain."""
    key = _private_key(key_path)
    try:
        contents = restoring.read_archive(path, key)
        others = restoring.chain(path, contents)
    except restoring.RestoreError as exc:
        raise click.ClickException(str(exc)) from None
    info = contents.info
    click.echo(f"{os.path.basename(path)}: intact; {'full' if info['full'] else 'incremental'}, "
               f"made {info['created']}, {len(contents.files)} files carried, "
               f"{len(contents.manifest)} in the instance")
    for other in others:
        click.echo(f"restore also reads {other}")


@backup_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="the private key (PEM)")
@click.pass_obj
def restore(state, path, key_path):
    """Restore ARCHIVE (and the earlier archives it needs) into this empty instance."""
    key = _private_key(key_path)
    app = state.app
    with app.app_context():
        try:
            info = restoring.restore(app, path, key)
        except restoring.RestoreError as exc:
            raise click.ClickException(str(exc)) from None
        indexed = restoring.reindex(app)
    click.echo(f"restored {info['name']} ({info['files']} files"
               + (f", {indexed} datasets indexed)" if indexed is not None else ")"))


def _private_key(path):
    try:
        return crypto.load_private_key(path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None

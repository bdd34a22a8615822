"""The systemd unit of an instance: ``dcorlite serve`` as a hardened service.

SIGTERM (systemd's stop) lets ``serve`` drain its requests and jobs for
``SHUTDOWN_DRAIN_SECONDS``; the unit gives it that long plus a margin before
systemd kills what is left. The file system is read-only to the service but
for the instance's own folders.
"""
import dataclasses
import os
import shutil
import sys

from ... import supervisor

#: seconds systemd waits beyond the children's stop time (supervisor's) before SIGKILL
STOP_SLACK = 5


@dataclasses.dataclass
class Unit:
    """What goes into the unit file."""

    instance: str
    user: str
    group: str
    exec_start: list
    drain_seconds: float
    umask: str
    read_write_paths: list
    after: list


def dcorlite_program():
    """Absolute path of the ``dcorlite`` command (systemd wants one)."""
    beside = os.path.join(os.path.dirname(sys.executable), "dcorlite")
    return beside if os.path.isfile(beside) else (shutil.which("dcorlite") or beside)


def writable_paths(app):
    """The folders the server writes to: the instance, and any configured outside it."""
    config = app.config
    paths = [app.instance_path]
    storage = str(config.get("STORAGE_URL") or "")
    if storage.startswith("file:"):
        paths.append(storage.split(":", 1)[1].removeprefix("//"))
    database = str(config.get("DATABASE_URL") or "")
    if database.startswith("sqlite:///"):
        paths.append(os.path.dirname(database[len("sqlite:///"):]))
    if config.get("JOBS_DATABASE"):
        paths.append(os.path.dirname(config["JOBS_DATABASE"]))
    paths += [config[k] for k in ("JOBS_SCRATCH_DIR", "SEARCH_INDEX_DIR", "BACKUP_DIR",
                                  "CERTS_DIR") if config.get(k)]
    kept = []
    for path in sorted({os.path.abspath(p) for p in paths if p}, key=len):
        if not any(os.path.commonpath([path, k]) == k for k in kept):
            kept.append(path)
    return kept


def make_unit(app, user, group, host, port, processes, threads):
    """The :class:`Unit` serving ``app``'s instance on ``host:port`` as ``user``."""
    after = ["network-online.target"]
    if str(app.config.get("DATABASE_URL", "")).startswith(("postgres:", "postgresql:")):
        after.append("postgresql.service")
    return Unit(instance=app.instance_path, user=user, group=group,
                exec_start=[dcorlite_program(), "--instance", app.instance_path, "serve",
                            "--host", host, "--port", str(port), "--processes",
                            str(processes), "--threads", str(threads)],
                drain_seconds=float(app.config["SHUTDOWN_DRAIN_SECONDS"]),
                umask=f"{int(str(app.config['UMASK']), 8):04o}",
                read_write_paths=writable_paths(app), after=after)


def _quote(arg):
    if arg and not any(c in arg for c in ' \t"\'\\;$%'):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") \
        .replace("$", "$$") + '"'


def render(unit):
    """The text of the unit file."""
    stop_seconds = int(unit.drain_seconds + supervisor.STOP_MARGIN + STOP_SLACK)
    lines = [
        "# written by 'dcorlite systemd-unit'; see docs/deployment.md",
        "[Unit]",
        f"Description=dcorlite repository server ({unit.instance})",
        f"Wants={unit.after[0]}",
        f"After={' '.join(unit.after)}",
        "",
        "[Service]",
        "Type=simple",
        f"User={unit.user}",
        f"Group={unit.group}",
        f"WorkingDirectory={_quote(unit.instance)}",
        f"Environment=DCORLITE_INSTANCE={_quote(unit.instance)}",
        "ExecStart=" + " ".join(_quote(arg) for arg in unit.exec_start),
        "Restart=on-failure",
        "RestartSec=5",
        # serve drains on SIGTERM and passes it on to its processes itself
        "KillSignal=SIGTERM",
        "KillMode=mixed",
        f"TimeoutStopSec={stop_seconds}",
        f"UMask={unit.umask}",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=" + " ".join(_quote(p) for p in unit.read_write_paths),
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectControlGroups=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "LimitNOFILE=8192",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)

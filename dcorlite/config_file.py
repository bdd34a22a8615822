"""Writing settings into ``<instance>/config.py``, leaving the rest of the file as it is."""
import os
import re
import tempfile


def _read(path):
    if not os.path.exists(path):
        return ""
    with open(path) as fh:
        return fh.read()


def _assignment(key):
    return re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)


def add_missing(path, wanted, command):
    """Append ``KEY = value`` for each key of ``wanted`` not yet assigned in ``path``.

    :param command: the ``dcorlite`` command that wants them (named in the file)
    :returns: one line per key saying what was done
    """
    text = _read(path)
    report, added = [], []
    for key, value in wanted.items():
        if _assignment(key).search(text):
            report.append(f"{path}: {key} is set already (left as it is; "
                          f"'dcorlite {command}' wants {value!r})")
        else:
            added.append(f"{key} = {value!r}")
            report.append(f"{path}: {key} = {value!r}")
    if added:
        with open(path, "a") as fh:
            if text and not text.endswith("\n"):
                fh.write("\n")
            fh.write(f"# added by `dcorlite {command}`\n" + "\n".join(added) + "\n")
    return report


def set_value(path, key, value, comment):
    """Make ``KEY = value`` the setting of ``key`` in ``path``, replacing its assignment.

    A one-line assignment is replaced where it is; without one, the line is
    appended under ``# comment``. The file is replaced atomically (mode 0600,
    as it may hold secrets), so a crash leaves the old file or the new one.
    """
    text = _read(path)
    line = f"{key} = {value!r}"
    pattern = _assignment(key)
    if pattern.search(text):
        text = pattern.sub(lambda _match: line, text, count=1)
    else:
        if text and not text.endswith("\n"):
            text += "\n"
        text += f"# {comment}\n{line}\n"
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                   prefix=".config.py.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise


def switch(instance_path, key, value, command):
    """Make ``KEY = value`` the instance's setting (for ``dcorlite command``); say what was done.

    :returns: ``(lines to show, problem or None)``: the problem is a
        ``DCORLITE_<KEY>`` in the environment, which wins over ``config.py``
    """
    path = os.path.join(instance_path, "config.py")
    set_value(path, key, value, f"set by `dcorlite {command}`")
    problem = None
    if os.environ.get(f"DCORLITE_{key}"):
        problem = (f"DCORLITE_{key} in the environment overrides config.py: set it to "
                   f"{value} where the servers and workers are started")
    return f"{path}: {key} = {value!r}", problem

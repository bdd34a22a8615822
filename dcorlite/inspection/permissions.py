"""The permissions check: nothing in the instance is open beyond what ``UMASK`` allows.

With the default ``UMASK = "077"`` every file is 0600 and every folder 0700
(the data may be patients'). The instance's public certificate is the one
file meant for others to read.
"""
import os
import stat

from .. import tls
from . import FAIL, Finding, ok

#: files whose wider mode is deliberate: a certificate is public
PUBLIC_FILES = (tls.CERT_NAME,)


def _roots(app):
    roots = [app.instance_path]
    url = str(app.config["STORAGE_URL"])
    if url.startswith("file:"):
        root = os.path.abspath(url.split(":", 1)[1].removeprefix("//"))
        if os.path.commonpath([root, app.instance_path]) != app.instance_path:
            roots.append(root)
    return roots


def too_open(app):
    """``[(path, mode, wanted mode)]`` of instance files and folders open beyond the umask."""
    mask = int(str(app.config["UMASK"]), 8)
    certs = os.path.abspath(tls.certs_dir(app))
    found = []
    for root in _roots(app):
        for folder, dirs, files in os.walk(root):
            for path in [folder] + [os.path.join(folder, name) for name in files]:
                try:
                    info = os.lstat(path)
                except FileNotFoundError:
                    continue  # removed meanwhile
                if stat.S_ISLNK(info.st_mode):
                    continue
                if os.path.dirname(path) == certs and os.path.basename(path) in PUBLIC_FILES:
                    continue
                mode = stat.S_IMODE(info.st_mode)
                if mode & mask:
                    found.append((path, mode, mode & ~mask))
    return found


def narrow(entries):
    """Take away the bits the umask forbids; return the number of paths changed."""
    changed = 0
    for path, _, wanted in entries:
        try:
            os.chmod(path, wanted)
            changed += 1
        except FileNotFoundError:
            continue
    return changed


def check_permissions(app):
    """FAIL when an instance file or folder is open beyond ``UMASK``; fixable."""
    entries = too_open(app)
    if not entries:
        return ok(f"instance files and folders within UMASK {app.config['UMASK']}")
    return Finding(
        FAIL, f"{len(entries)} file(s) or folder(s) open beyond UMASK {app.config['UMASK']}",
        [f"{oct(mode)[2:]:>4} {path} (should be {oct(wanted)[2:]})"
         for path, mode, wanted in entries],
        fix=lambda: f"narrowed {narrow(entries)} path(s)",
        fix_text=f"narrow {len(entries)} path(s) to UMASK {app.config['UMASK']}")

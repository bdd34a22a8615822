"""Adding settings to ``<instance>/config.py`` without touching the ones there."""
import os
import re


def add_missing(path, wanted):
    """Append ``KEY = value`` for each key of ``wanted`` not yet assigned in ``path``.

    :returns: one line per key saying what was done
    """
    text = ""
    if os.path.exists(path):
        with open(path) as fh:
            text = fh.read()
    report, added = [], []
    for key, value in wanted.items():
        if re.search(rf"^{key}\s*=", text, re.MULTILINE):
            report.append(f"{path}: {key} is set already (left as it is; nginx wants "
                          f"{value!r})")
        else:
            added.append(f"{key} = {value!r}")
            report.append(f"{path}: {key} = {value!r}")
    if added:
        with open(path, "a") as fh:
            if text and not text.endswith("\n"):
                fh.write("\n")
            fh.write("# added by `dcorlite nginx-config`\n" + "\n".join(added) + "\n")
    return report

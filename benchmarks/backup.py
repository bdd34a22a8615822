"""Backup speed: ``dcorlite backup create`` against a plain ``tar`` of the same storage folder.

Generates ``--gib`` GiB of incompressible files (``--file-mib`` each) in the storage of a
fresh instance, then times, in the same run and on the same disk, ``tar -cf`` of the storage
folder (then ``sync`` of the tar file, as the backup fsyncs its archive) and a full
encrypted backup (``backup create --full``), each ``--repeat`` times in
turn (the page cache is warm for both after the first round), and prints MB/s and the ratio
(target ≥ 0.5×).

    python benchmarks/backup.py --gib 2 --workdir /var/tmp/bench
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dcorlite.storage import resource_key  # noqa: E402

from benchmarks.harness import CLI, clean_env  # noqa: E402


def make_files(storage_root, gib, file_mib):
    """Write incompressible files under resource keys; return their total size in bytes."""
    total, target = 0, int(gib * 2**30)
    block = os.urandom(2**20)
    while total < target:
        key = resource_key(str(uuid.uuid4()))
        path = os.path.join(storage_root, *key.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            for i in range(file_mib):
                # a different first byte per MiB keeps blocks distinct
                fh.write(bytes([i % 256]) + block[1:])
        total += file_mib * 2**20
    return total


def timed(args, env=None):
    """Seconds ``args`` took; its failure ends the benchmark."""
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gib", type=float, default=2.0, help="GiB of files (default 2)")
    parser.add_argument("--file-mib", type=int, default=256, help="MiB per file (default 256)")
    parser.add_argument("--repeat", type=int, default=2, help="rounds (default 2)")
    parser.add_argument("--workdir", default=None, help="folder on the disk to measure")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dcorlite-bench-backup-", dir=args.workdir)
    try:
        instance = os.path.join(work, "instance")
        env = clean_env()
        subprocess.run(CLI + ["--instance", instance, "backup", "keygen",
                              os.path.join(work, "key")], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        size = make_files(os.path.join(instance, "storage"), args.gib, args.file_mib)
        tar_times, backup_times = [], []
        for _ in range(args.repeat):
            out = os.path.join(work, "plain.tar")
            # the backup fsyncs its archive before it counts as written; so does tar here
            tar_times.append(timed(["sh", "-c", 'tar -cf "$0" -C "$1" storage && sync "$0"',
                                    out, instance]))
            os.remove(out)
            backups = os.path.join(work, "backups")
            backup_times.append(timed(CLI + ["--instance", instance, "backup", "create",
                                             "--full", "--recipient",
                                             os.path.join(work, "key.pub.pem"),
                                             "--to", backups, "--keep", "1"], env=env))
            shutil.rmtree(backups)
        mb = size / 1e6
        tar_rate, backup_rate = mb / min(tar_times), mb / min(backup_times)
        print(f"{size / 2**30:.2f} GiB in {size // (args.file_mib * 2**20)} files; "
              f"best of {args.repeat}")
        print(f"tar -cf + sync:          {tar_rate:8.1f} MB/s")
        print(f"dcorlite backup create:  {backup_rate:8.1f} MB/s "
              f"({backup_rate / tar_rate:.2f}x tar; target >= 0.5x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

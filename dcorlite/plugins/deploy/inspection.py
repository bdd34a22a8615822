"""The ``certificate`` check of ``dcorlite inspect``: the instance's TLS certificate expiry."""
import datetime
import os

from ... import tls
from ...inspection import FAIL, WARN, Finding, ok

#: days before expiry from which the check warns
WARN_DAYS = 30


def check_certificate(app, now=None):
    """FAIL for an expired certificate, WARN for one expiring within :data:`WARN_DAYS`."""
    path = tls.cert_path(app)
    if not os.path.isfile(path):
        return ok(f"no certificate in {tls.certs_dir(app)} (none served)")
    try:
        described = tls.describe(tls.load_certificate(path))
    except ValueError as exc:
        return Finding(FAIL, f"{path} is not a PEM certificate: {exc}")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    left = described.not_after - now
    expiry = f"{described.not_after:%Y-%m-%d %H:%M} UTC"
    renew = ["renew it: dcorlite certs create --hostname NAME --force, then issue the "
             "access tokens again (dcorlite access-token create USER)"]
    if left <= datetime.timedelta(0):
        return Finding(FAIL, f"certificate expired on {expiry}", renew)
    if left < datetime.timedelta(days=WARN_DAYS):
        return Finding(WARN, f"certificate expires in {left.days} day(s), on {expiry}", renew)
    return ok(f"certificate valid until {expiry} ({left.days} days)")

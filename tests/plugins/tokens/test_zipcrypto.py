"""The ZipCrypto writer, read back by :mod:`zipfile` (as dclab and DCOR-Aid read it)."""
import io
import os
import shutil
import subprocess
import zipfile

import pytest

from dcorlite.plugins.tokens.zipcrypto import encrypted_zip

MEMBERS = {"api_key.txt": b"abc.def\n", "server.cert": b"-----BEGIN X-----\n" * 200,
           "random.bin": os.urandom(70000), "empty": b""}


def test_zipfile_reads_every_member_with_the_password():
    archive = zipfile.ZipFile(io.BytesIO(encrypted_zip(MEMBERS, "pässword".encode())))
    assert archive.namelist() == list(MEMBERS)
    for info in archive.infolist():
        assert info.flag_bits & 0x1, "encrypted"
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert archive.read(info.filename, pwd="pässword".encode()) == MEMBERS[info.filename]
    # deflated: repetitive text shrinks (then 12 bytes of encryption header)
    assert archive.getinfo("server.cert").compress_size < 200


def test_wrong_or_missing_password_is_refused():
    archive = zipfile.ZipFile(io.BytesIO(encrypted_zip({"a.txt": b"secret" * 50}, b"right")))
    with pytest.raises(RuntimeError, match="Bad password"):
        archive.read("a.txt", pwd=b"wrong")
    with pytest.raises(RuntimeError, match="password required"):
        archive.read("a.txt")


def test_ciphertext_differs_each_time_and_hides_the_plaintext():
    first, second = (encrypted_zip({"a.txt": b"A" * 1000}, b"pw") for _ in range(2))
    assert first != second  # random encryption headers
    assert b"AAAA" not in first


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip not installed")
def test_info_zip_verifies_the_archive(tmp_path):
    path = tmp_path / "t.zip"
    path.write_bytes(encrypted_zip(MEMBERS, b"pw"))
    result = subprocess.run(["unzip", "-P", "pw", "-t", str(path)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout

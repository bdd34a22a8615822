"""Streamed public-key encryption of backup archives.

The format (``DCLBK1``), chosen so that the server only ever needs the
recipient's public key:

* header: magic ``b"DCLBK1\\n\\0"``, the sender's ephemeral X25519 public key
  (32 bytes) and a random 16-byte salt;
* the AES-256-GCM key is HKDF-SHA256 of the X25519 shared secret, salted,
  bound to both public keys; a fresh ephemeral key makes it new per archive;
* then chunks: a 4-byte big-endian ciphertext length and the ciphertext of
  up to :data:`CHUNK_SIZE` plaintext bytes (each write is a chunk of its own,
  so large file reads are sealed without being copied). The 12-byte nonce is the chunk's
  number (11 bytes) and a last-chunk flag (1 byte), and the header is the
  associated data of every chunk (the STREAM construction of Hoang, Reyhanitabar,
  Rogaway and Vizár). So a reordered, dropped, duplicated or altered chunk
  fails its tag, and an archive that ends before its flagged last chunk is
  truncated.
"""
import concurrent.futures
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"DCLBK1\n\0"
CHUNK_SIZE = 4 * 1024 * 1024
HEADER_SIZE = len(MAGIC) + 32 + 16
TAG_SIZE = 16
_LEN = struct.Struct(">I")


class BackupCryptoError(Exception):
    """An archive that cannot be decrypted: wrong key, altered, truncated or not a backup."""


def generate_keypair(private_path, public_path):
    """Write a new X25519 key pair as PEM; the private key file gets mode 0600.

    :raises FileExistsError: if either file exists (keys are never overwritten)
    """
    key = X25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    for path in (private_path, public_path):
        if os.path.exists(path):
            raise FileExistsError(path)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem)
    with open(public_path, "wb") as fh:
        fh.write(public_pem)


def load_public_key(path):
    """Read an X25519 public key (PEM).

    :raises ValueError: for anything else (e.g. a private key or an RSA key)
    """
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise ValueError(f"{path} is not a PEM public key") from None
    if not isinstance(key, X25519PublicKey):
        raise ValueError(f"{path} is not an X25519 public key (make one with "
                         "'dcorlite backup keygen')")
    return key


def load_private_key(path):
    """Read an X25519 private key (PEM, unencrypted PKCS#8).

    :raises ValueError: for anything else
    """
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ValueError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, X25519PrivateKey):
        raise ValueError(f"{path} is not an X25519 private key")
    return key


def _raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _derive(shared, salt, ephemeral, recipient):
    return HKDF(hashes.SHA256(), 32, salt,
                b"dcorlite backup v1" + ephemeral + recipient).derive(shared)


def _nonce(counter, last):
    return counter.to_bytes(11, "big") + (b"\1" if last else b"\0")


class EncryptingWriter:
    """A write-only file object that encrypts into ``sink`` (call :meth:`close` to finish).

    Sealed chunks are written to ``sink`` by a helper thread while the next
    one is encrypted (file writes release the interpreter lock).
    """

    def __init__(self, sink, recipient):
        ephemeral = X25519PrivateKey.generate()
        eph_raw = _raw(ephemeral.public_key())
        salt = os.urandom(16)
        self._aes = AESGCM(_derive(ephemeral.exchange(recipient), salt, eph_raw,
                                   _raw(recipient)))
        self._header = MAGIC + eph_raw + salt
        self._sink = sink
        self._sink.write(self._header)
        self._held = None
        self._counter = 0
        self._pool = concurrent.futures.ThreadPoolExecutor(1, "dcorlite-backup-write")
        self._pending = None
        self.closed = False

    def write(self, data):
        """Encrypt ``data`` as chunks of its own (at most :data:`CHUNK_SIZE` each).

        The last piece is held back until more comes or :meth:`close` flags
        it; ``data`` must not be changed afterwards (bytes are safe).
        """
        view = memoryview(data)
        for start in range(0, len(view), CHUNK_SIZE):
            if self._held is not None:
                self._seal(self._held, last=False)
            self._held = view[start:start + CHUNK_SIZE]
        return len(data)

    def _seal(self, chunk, last):
        sealed = self._aes.encrypt(_nonce(self._counter, last), chunk, self._header)
        self._counter += 1
        if self._pending is not None:
            self._pending.result()
        self._pending = self._pool.submit(self._sink.writelines, (_LEN.pack(len(sealed)), sealed))

    def close(self):
        """Write the flagged last chunk (it may be empty) and wait for the writes."""
        if not self.closed:
            self._seal(self._held if self._held is not None else b"", last=True)
            self._held = None
            self._pending.result()
            self._pool.shutdown()
            self.closed = True


class DecryptingReader:
    """A read-only file object with the plaintext of an archive from ``source``.

    :raises BackupCryptoError: on read, as soon as a chunk fails
    """

    def __init__(self, source, private_key):
        self._source = source
        header = source.read(HEADER_SIZE)
        if len(header) != HEADER_SIZE or not header.startswith(MAGIC):
            raise BackupCryptoError("not a dcorlite backup archive")
        eph_raw = header[len(MAGIC):len(MAGIC) + 32]
        salt = header[len(MAGIC) + 32:]
        try:
            ephemeral = X25519PublicKey.from_public_bytes(eph_raw)
            shared = private_key.exchange(ephemeral)
        except ValueError:
            raise BackupCryptoError("the archive's header is damaged") from None
        self._aes = AESGCM(_derive(shared, salt, eph_raw, _raw(private_key.public_key())))
        self._header = header
        self._counter = 0
        self._plain = b""
        self._pos = 0
        self.finished = False

    def _next_chunk(self):
        prefix = self._source.read(_LEN.size)
        if len(prefix) != _LEN.size:
            raise BackupCryptoError("the archive is truncated")
        (size,) = _LEN.unpack(prefix)
        if not TAG_SIZE <= size <= CHUNK_SIZE + TAG_SIZE:
            raise BackupCryptoError(f"chunk {self._counter} is damaged")
        sealed = self._source.read(size)
        if len(sealed) != size:
            raise BackupCryptoError("the archive is truncated")
        for last in (False, True):
            try:
                plain = self._aes.decrypt(_nonce(self._counter, last), sealed, self._header)
            except InvalidTag:
                continue
            self._counter += 1
            if last:
                self.finished = True
                if self._source.read(1):
                    raise BackupCryptoError("data after the archive's last chunk")
            return plain
        if self._counter == 0:
            raise BackupCryptoError("cannot decrypt: wrong key, or the archive is damaged")
        raise BackupCryptoError(f"chunk {self._counter} is damaged, reordered or missing")

    def read(self, size=-1):
        """Return up to ``size`` plaintext bytes (all the rest for -1); b"" at the end."""
        out = []
        want = size if size is not None and size >= 0 else float("inf")
        while want > 0:
            if self._pos == len(self._plain):
                if self.finished:
                    break
                self._plain, self._pos = self._next_chunk(), 0
                continue
            piece = self._plain[self._pos:self._pos + int(min(want, len(self._plain)))]
            self._pos += len(piece)
            want -= len(piece)
            out.append(piece)
        return b"".join(out)

    def drain(self):
        """Read to the end, so that the last chunk and the end are authenticated."""
        while self.read(CHUNK_SIZE):
            pass

"""Writing ZIP archives with traditional PKWARE encryption ("ZipCrypto").

It is the only ZIP encryption Python's :mod:`zipfile` can read, and so the
only one dclab and DCOR-Aid can open in a ``.dcor-access`` file. It is weak
(a known-plaintext attack recovers the keys from 12 known bytes of a
member's compressed data); see docs/deployment.md for how dcorlite makes
that matter less. No maintained library writes it (pyzipper writes AES
only), so the cipher is here, checked against :mod:`zipfile`'s reader.
"""
import os
import struct
import time
import zlib

def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


class _Keys:
    """The cipher's three 32-bit keys (APPNOTE.TXT 6.1)."""

    def __init__(self, password):
        self.k0, self.k1, self.k2 = 0x12345678, 0x23456789, 0x34567890
        for byte in password:
            self.update(byte)

    def update(self, byte):
        self.k0 = (self.k0 >> 8) ^ _CRC_TABLE[(self.k0 ^ byte) & 0xFF]
        self.k1 = (self.k1 + (self.k0 & 0xFF)) & 0xFFFFFFFF
        self.k1 = (self.k1 * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = (self.k2 >> 8) ^ _CRC_TABLE[(self.k2 ^ (self.k1 >> 24)) & 0xFF]

    def encrypt(self, data):
        out = bytearray(len(data))
        for i, byte in enumerate(data):
            temp = (self.k2 | 2) & 0xFFFF
            out[i] = byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF)
            self.update(byte)
        return bytes(out)


def _dos_time(timestamp):
    t = time.localtime(timestamp)
    return ((t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2),
            ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday)


def encrypted_zip(members, password, timestamp=None):
    """The bytes of a ZIP archive of ``members`` (``{name: bytes}``), deflated and encrypted.

    :param password: bytes (dclab encodes the user's text as UTF-8)
    """
    mtime, mdate = _dos_time(time.time() if timestamp is None else timestamp)
    body, central = bytearray(), bytearray()
    for name, data in members.items():
        raw_name = name.encode("ascii")
        crc = zlib.crc32(data)
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        compressed = deflater.compress(data) + deflater.flush()
        keys = _Keys(password)
        # 11 random bytes and the CRC's high byte, which readers check the password with
        header = os.urandom(11) + bytes([crc >> 24])
        payload = keys.encrypt(header) + keys.encrypt(compressed)
        fields = (20, 0x0001, 8, mtime, mdate, crc, len(payload), len(data), len(raw_name), 0)
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields) + raw_name + payload
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0x0314, *fields,
                               0, 0, 0, 0o100600 << 16, offset) + raw_name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(body), 0)
    return bytes(body + central + end)

"""The pixel size of a stored JPEG, so that pages can give ``<img>`` its width and height.

Only the header is read: the start-of-frame marker comes before the image data.
"""
import struct

from ...storage import get_storage

HEADER_BYTES = 65536
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_size(data):
    """``(width, height)`` from the first bytes of a JPEG, or None if they do not tell."""
    if data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 9 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # padding
            pos += 1
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return width, height
        pos += 2 + length
    return None


def stored_jpeg_size(key):
    """``(width, height)`` of the JPEG stored under ``key``; None if it is not there (yet)."""
    storage = get_storage()
    if not storage.exists(key):
        return None
    with storage.open_range(key) as fh:
        return jpeg_size(fh.read(HEADER_BYTES))

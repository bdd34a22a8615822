"""Part arithmetic of DCOR-Aid's S3 uploads, and the S3 ETag rules."""
import hashlib
import math

GIB = 2 ** 30


def num_parts(file_size, part_size=GIB):
    """Number of parts DCOR-Aid expects: ``ceil(file_size / part_size)``."""
    return max(1, math.ceil(file_size / part_size))


def part_size(file_size, parts):
    """Size of every part but the last: ``file_size // parts``, +1 if not divisible."""
    return file_size // parts + (1 if file_size % parts else 0)


def part_span(file_size, parts, number):
    """Return ``(offset, length)`` of part ``number`` (1-based)."""
    size = part_size(file_size, parts)
    offset = (number - 1) * size
    return offset, max(0, min(size, file_size - offset))


def multipart_etag(part_md5s):
    """S3's ETag of a multipart object: MD5 of the part MD5s, ``-N``."""
    digest = hashlib.md5(b"".join(bytes.fromhex(m) for m in part_md5s)).hexdigest()
    return f"{digest}-{len(part_md5s)}"

"""Helpers shared by the corpus generators (make-*-corpus.py): the
Internet checksum. Standard library only."""


def csum(data, start=0):
    """RFC 1071 Internet checksum of data, starting from a partial sum."""
    if len(data) % 2:
        data += b"\0"
    s = start
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

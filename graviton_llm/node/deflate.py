"""gzip bytes that depend only on the input: our own DEFLATE encoder (RFC 1951/1952).

zlib's output is not part of any standard: each implementation picks its own matches and block
splits, so `gzip.compress` of the same script gives 14,208 bytes with zlib 1.2.13 and 14,260
with zlib-ng (which some distributions ship as their zlib). The launch template carries these
bytes, so who ran `pulumi up` decided whether the fleet rolled. This encoder fixes every choice
in this file: greedy-with-one-step-lazy LZ77 over hash chains of bounded length, one dynamic
Huffman block, code lengths limited by halving frequencies. Any inflater reads it (cloud-init
uses Python's gzip); zlib is used only for the CRC-32, which is a definition, not a choice.

Slower than zlib (pure Python, ~0.1-0.3 s for a 46 KB boot script), hence the cache.
"""

from __future__ import annotations

import heapq
import struct
import zlib
from functools import lru_cache

WINDOW = 32_768
MIN_MATCH, MAX_MATCH = 3, 258
CHAIN = 48  # candidates tried per position: ours; fixed, so the output is too
# RFC 1951 3.2.5: length codes 257..285 (base, extra bits) and distance codes 0..29.
_LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83,
                99, 115, 131, 163, 195, 227, 258]  # fmt: skip
_LENGTH_EXTRA = [0] * 8 + [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4 + [0]
_DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
              1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]  # fmt: skip
_DIST_EXTRA = [0, 0, 0, 0] + [n for n in range(1, 14) for _ in (0, 1)]
# The order code-length code lengths are sent in (RFC 1951 3.2.7).
_CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]


def _code(value: int, bases: list[int]) -> int:
    low, high = 0, len(bases) - 1
    while low < high:  # the last base <= value
        middle = (low + high + 1) // 2
        if bases[middle] <= value:
            low = middle
        else:
            high = middle - 1
    return low


def _tokens(data: bytes) -> list[tuple[int, int]]:
    """(literal, 0) or (length, distance), choosing the longest match among the last CHAIN
    positions with the same 3 bytes, deferring it by one byte when the next is longer."""
    heads: dict[bytes, list[int]] = {}
    n = len(data)

    def longest(i: int) -> tuple[int, int]:
        best_len, best_dist = 0, 0
        if i + MIN_MATCH > n:
            return 0, 0
        limit = min(MAX_MATCH, n - i)
        for j in reversed(heads.get(data[i : i + 3], [])[-CHAIN:]):
            if i - j > WINDOW:
                break
            if data[j + best_len] != data[i + best_len] if best_len < limit else True:
                continue
            length = 3
            while length < limit and data[j + length] == data[i + length]:
                length += 1
            if length > best_len:
                best_len, best_dist = length, i - j
                if length == limit:
                    break
        return best_len, best_dist

    def insert(i: int) -> None:
        if i + MIN_MATCH <= n:
            heads.setdefault(data[i : i + 3], []).append(i)

    tokens: list[tuple[int, int]] = []
    i = 0
    while i < n:
        length, distance = longest(i)
        if length >= MIN_MATCH:
            insert(i)
            following, _ = longest(i + 1)
            if following > length:
                tokens.append((data[i], 0))
                i += 1
                continue
            tokens.append((length, distance))
            for k in range(i + 1, i + length):
                insert(k)
            i += length
        else:
            tokens.append((data[i], 0))
            insert(i)
            i += 1
    return tokens


def _lengths(freqs: list[int], limit: int) -> list[int]:
    """Huffman code lengths of at most ``limit`` bits; frequencies are halved until they fit.
    Ties break on the symbol, so the lengths depend on the frequencies alone."""
    used = [s for s, f in enumerate(freqs) if f]
    lengths = [0] * len(freqs)
    if len(used) == 1:
        lengths[used[0]] = 1
        return lengths
    weights = list(freqs)
    while True:
        heap: list[tuple[int, int, list[int]]] = [(weights[s], s, [s]) for s in used]
        heapq.heapify(heap)
        depth = [0] * len(freqs)
        order = len(freqs)
        while len(heap) > 1:
            w1, _, s1 = heapq.heappop(heap)
            w2, _, s2 = heapq.heappop(heap)
            for s in s1 + s2:
                depth[s] += 1
            heapq.heappush(heap, (w1 + w2, order, s1 + s2))
            order += 1
        if max(depth) <= limit:
            return depth
        weights = [(w + 1) // 2 if w else 0 for w in weights]


def _canonical(lengths: list[int]) -> list[int]:
    """RFC 1951 3.2.2: codes from lengths, bit-reversed for LSB-first output."""
    counts = [0] * 16
    for length in lengths:
        counts[length] += 1
    counts[0] = 0
    code, first = 0, [0] * 16
    for bits in range(1, 16):
        code = (code + counts[bits - 1]) << 1
        first[bits] = code
    codes = [0] * len(lengths)
    for symbol, length in enumerate(lengths):
        if length:
            value = first[length]
            first[length] += 1
            codes[symbol] = int(f"{value:0{length}b}"[::-1], 2)
    return codes


def _run_lengths(lengths: list[int]) -> list[tuple[int, int, int]]:
    """Code lengths as code-length symbols (symbol, extra value, extra bits), runs as 16-18."""
    out: list[tuple[int, int, int]] = []
    i = 0
    while i < len(lengths):
        value, run = lengths[i], 1
        while i + run < len(lengths) and lengths[i + run] == value:
            run += 1
        i += run
        if value == 0:
            while run >= 11:
                take = min(run, 138)
                out.append((18, take - 11, 7))
                run -= take
            if run >= 3:
                out.append((17, run - 3, 3))
                run = 0
        else:
            out.append((value, 0, 0))
            run -= 1
            while run >= 3:
                take = min(run, 6)
                out.append((16, take - 3, 2))
                run -= take
        out += [(value, 0, 0)] * run
    return out


def deflate(data: bytes) -> bytes:
    """One final dynamic-Huffman DEFLATE block of ``data``."""
    tokens = _tokens(data)
    lit = [0] * 286
    dist = [0] * 30
    lit[256] = 1
    for value, distance in tokens:
        if distance:
            lit[257 + _code(value, _LENGTH_BASE)] += 1
            dist[_code(distance, _DIST_BASE)] += 1
        else:
            lit[value] += 1
    if not any(dist):
        dist[0] = 1
    lit_len, dist_len = _lengths(lit, 15), _lengths(dist, 15)
    hlit = max(257, max(s for s, n in enumerate(lit_len) if n) + 1)
    hdist = max(1, max(s for s, n in enumerate(dist_len) if n) + 1)
    runs = _run_lengths(lit_len[:hlit] + dist_len[:hdist])
    cl_freq = [0] * 19
    for symbol, _, _ in runs:
        cl_freq[symbol] += 1
    cl_len = _lengths(cl_freq, 7)
    hclen = max(4, max(i + 1 for i, s in enumerate(_CL_ORDER) if cl_len[s]))
    lit_code, dist_code, cl_code = _canonical(lit_len), _canonical(dist_len), _canonical(cl_len)

    out = bytearray()
    acc, nbits = 0, 0

    def put(value: int, bits: int) -> None:
        nonlocal acc, nbits
        acc |= value << nbits
        nbits += bits
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8

    put(1, 1)  # BFINAL
    put(2, 2)  # BTYPE: dynamic Huffman
    put(hlit - 257, 5)
    put(hdist - 1, 5)
    put(hclen - 4, 4)
    for symbol in _CL_ORDER[:hclen]:
        put(cl_len[symbol], 3)
    for symbol, extra, bits in runs:
        put(cl_code[symbol], cl_len[symbol])
        if bits:
            put(extra, bits)
    for value, distance in tokens:
        if not distance:
            put(lit_code[value], lit_len[value])
            continue
        code = _code(value, _LENGTH_BASE)
        put(lit_code[257 + code], lit_len[257 + code])
        if _LENGTH_EXTRA[code]:
            put(value - _LENGTH_BASE[code], _LENGTH_EXTRA[code])
        code = _code(distance, _DIST_BASE)
        put(dist_code[code], dist_len[code])
        if _DIST_EXTRA[code]:
            put(distance - _DIST_BASE[code], _DIST_EXTRA[code])
    put(lit_code[256], lit_len[256])
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


@lru_cache(maxsize=64)
def gzip_bytes(data: bytes) -> bytes:
    """A gzip member (RFC 1952) of ``data``: no name, mtime 0, OS unknown (255)."""
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return header + deflate(data) + trailer

#!/usr/bin/env python3
"""Writes the fuzzers' starting inputs to fuzz/corpus-raw/<target>/ (not
committed; `cargo fuzz cmin` keeps what adds coverage in fuzz/corpus/).

Standard library only: the repository's fixtures (fixtures/make.py), plus
small files built here: PNGs, a HEIC skeleton, a PDF, a 144-byte MP4, and
request bodies for each JSON endpoint.
"""
import base64
import json
import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "fuzz" / "corpus-raw"
FIXTURES = ROOT / "fixtures"


def boxed(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body) + 8) + kind + body


def png(width: int, height: int, colour: int, depth: int = 8) -> bytes:
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = bytes((x * 37) & 0xFF for x in range(width * channels * depth // 8))
    raw = b"".join(b"\0" + row for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def heic(width: int, height: int) -> bytes:
    data = b"\x5a" * 64

    def full(kind: bytes, body: bytes) -> bytes:
        return boxed(kind, b"\0\0\0\0" + body)

    def meta(at: int) -> bytes:
        iloc = b"\x44\x00" + struct.pack(">HHHHII", 1, 1, 0, 1, at, len(data))
        infe = boxed(b"infe", b"\x02\0\0\0\0\x01\0\0hvc1\0")
        ispe = full(b"ispe", struct.pack(">II", width, height))
        children = [
            full(b"hdlr", b"\0\0\0\0pict" + b"\0" * 13),
            full(b"pitm", b"\0\x01"),
            full(b"iinf", b"\0\x01" + infe),
            full(b"iloc", iloc),
            boxed(b"iprp", boxed(b"ipco", ispe)),
        ]
        return boxed(b"meta", b"\0\0\0\0" + b"".join(children))

    ftyp = boxed(b"ftyp", b"heic\0\0\0\0mif1heic")
    at = len(ftyp) + len(meta(0)) + 8
    return ftyp + meta(at) + boxed(b"mdat", data)


def mp4(duration: int) -> bytes:
    mvhd = b"\0" * 12 + struct.pack(">II", 1, duration) + b"\0\x01\0\0\x01\0" + b"\0" * 10
    mvhd += struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000) + b"\0" * 24 + struct.pack(">I", 2)
    return boxed(b"ftyp", b"isom\0\0\x02\0isom") + boxed(b"moov", boxed(b"mvhd", mvhd)) + boxed(b"mdat", b"")


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
HTML = b"<!doctype html><html><body>hi</body></html>\n"


def write(target: str, name: str, data: bytes) -> None:
    folder = RAW / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def main() -> None:
    fixtures = {p.name: p.read_bytes() for p in sorted(FIXTURES.iterdir()) if p.suffix != ".py" and p.suffix != ".md"}
    small = {
        "grey8.png": png(8, 8, 0),
        "rgb32.png": png(32, 32, 2),
        "rgba17x5.png": png(17, 5, 6),
        "grey1bit.png": png(40, 3, 0, 1),
        "heic.heic": heic(64, 48),
        "page.pdf": PDF,
        "long144.mp4": mp4(0xFFFFFFFF),
        "zero.mp4": mp4(0),
        "heic-html.heic": boxed(b"ftyp", b"heic\0\0\0\0mif1heic") + HTML,
        "pdf-html.pdf": b"%PDF-1.7\n" + HTML,
        "mp4-half.mp4": fixtures["selfid.mp4"][: len(fixtures["selfid.mp4"]) // 2],
        "jpeg-zip.jpg": fixtures["face-dark.jpg"] + b"PK\x05\x06" + b"\0" * 18,
    }
    media = {**fixtures, **small}
    for name, data in media.items():
        write("sniff", name, data[:65536])
    for name, data in media.items():
        if name.endswith((".mp4", ".mov", ".webm")):
            write("video_probe", name, data)
    for name, data in media.items():
        # The first byte picks the context: a few of each kind.
        for pick in (0, 3, 7, 200):
            write("analyse", f"{pick}-{name}", bytes([pick]) + data)

    hexes = ["0" * 64, "ab" * 32, "AB" * 32, " " + "f" * 64 + "\t", "g" * 64, "a" * 63, "é" * 32, ""]
    for i, h in enumerate(hexes):
        write("signature_header", f"h{i}", h.encode())

    tiny = {k: media[k] for k in ("grey8.png", "heic.heic", "page.pdf", "long144.mp4")}
    for name, data in tiny.items():
        b64 = base64.b64encode(data).decode()
        write("content_decoding", f"{name}.b64", b64.encode())
        write("content_decoding", f"{name}.uri", f"data:image/png;base64,{b64}".encode())
        lines = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
        write("content_decoding", f"{name}.mime", lines.encode())
    for i, s in enumerate(["", "====", "YQ", "YQ==", "data:,", "data:;base64,", "data:image/jpeg;base64", " \r\n\t"]):
        write("content_decoding", f"edge{i}", s.encode())

    b64 = base64.b64encode(tiny["grey8.png"]).decode()
    bodies = [
        {"verification": {"callback": "https://example.com/cb", "vendorData": "x" * 40, "endUserId": "u1",
                          "person": {"firstName": "Approve", "lastName": "Doe"}, "document": {"type": "PASSPORT"}}},
        {"verification": {"callback": "http://example.com", "vendorData": 7}},
        {"verification": {"status": "submitted"}},
        {"verification": {"status": "approved"}},
        {"image": {"context": "document-front", "content": b64, "timestamp": None}},
        {"video": {"context": "selfid_video", "content": "data:video/mp4;base64," + b64}},
        {"image": {"context": "selfid_video", "content": b64}, "video": {}},
        [], "text", None, 1.5e308,
    ]
    for i, body in enumerate(bodies):
        write("json_bodies", f"b{i}.json", json.dumps(body).encode())
    write("json_bodies", "deep.json", b"[" * 200 + b"]" * 200)
    write("json_bodies", "unicode.json", '{"verification":{"vendorData":"\\ud83d\\ude00\\u0000é"}}'.encode())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fills a kycmedia database with sessions, attempts and media rows, directly.

The database must exist with its schema and the request integration already
(`kycmedia integration create` makes both). This adds INTEGRATIONS - 1 more
integrations, then MEDIA / 5 sessions, each with one submitted attempt of 5
media, in time order (created_at spread over the past year), every session
belonging to an integration drawn at random: the request integration's rows
are interleaved with the others' all through the tables, and every id is a
random UUID v4, so its keys are spread over every index too.

Rows only: no media bytes are stored (the list endpoint reads rows, never
bytes). Values are what the server writes: float32 scores widened to
doubles, `matches` = accuracy >= 0.5, score = quality * (0.75 + 0.25 *
accuracy), a compact ~500-byte evidence JSON object rounded to four
decimals, blob_key `<integration_id>/<media_id>`.

SQLite: Python's sqlite3, executemany in transactions of 20,000 attempts.
PostgreSQL: one psql reading `COPY ... FROM STDIN` blocks in one transaction,
then `VACUUM (ANALYZE)` (what autovacuum would do soon after such a load; done
at once so that it does not run during the measurements).

Writes the request integration's attempt ids, one a line, to IDS_OUT.
Progress goes to stderr; stdout gets one line of `name=value` results:
seed_seconds (rows written and committed), vacuum_seconds (PostgreSQL),
sessions, attempts, media, request_attempts.

usage: seed_scale.py DATABASE_URL MEDIA REQUEST_INTEGRATION_ID IDS_OUT
           [--integrations 10] [--seed 1]
"""

import argparse
import json
import random
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.parse
import uuid

MEDIA_PER_ATTEMPT = 5
CHUNK_ATTEMPTS = 20_000
DAY_MS = 86_400_000
MATCH = 0.5

SESSION_COLUMNS = ("id", "integration_id", "status", "vendor_data", "end_user_id", "callback",
                   "session_token", "auto_decision", "created_at")
ATTEMPT_COLUMNS = ("id", "session_id", "status", "created_at", "seq")
MEDIA_COLUMNS = ("id", "attempt_id", "session_id", "integration_id", "kind", "context", "mimetype", "size",
                 "width", "height", "duration_ms", "accuracy", "quality", "blob_key", "created_at", "matches",
                 "score", "evidence")

# Decided sessions outnumber the ones still waiting, as in a live system.
SESSION_STATUSES = (["approved"] * 12 + ["declined"] * 3 + ["resubmission_requested"] * 2 + ["submitted"] * 3)
# Every attempt has a face and both sides of a document; two more files
# from a typical flow's optional captures.
REQUIRED = ("face", "document-front", "document-back")
OPTIONAL = ("face-pre", "document-front-pre", "document-back-pre", "document-and-face", "face-cropped",
            "document-back-barcode", "selfid_video", "selfid_video", "face-pre-video")
VIDEO_CONTEXTS = {"selfid_video", "face-pre-video"}
IMAGE_TYPES = (("image/jpeg", 60_000, 2_500_000), ("image/jpeg", 60_000, 2_500_000),
               ("image/jpeg", 60_000, 2_500_000), ("image/png", 400_000, 6_000_000),
               ("image/webp", 40_000, 900_000))
VIDEO_TYPES = (("video/mp4", 600_000, 9_000_000), ("video/webm", 500_000, 7_000_000))
RESOLUTIONS = ((1280, 720), (1920, 1080), (1080, 1920), (3024, 4032), (4032, 3024), (2448, 3264),
               (1600, 1200), (720, 1280))
FINDINGS = {
    "face": ["one dominant face", "face centred", "eyes level", "face large enough", "no second face",
             "face partly outside the frame", "face small in the frame", "low light on the face"],
    "document": ["card-shaped region", "id-1 aspect", "region covers the frame well", "edges straight",
                 "glare on the card", "card tilted", "no card-shaped region", "corners cut off"],
    "document-and-face": ["one face beside a card", "card-shaped region", "face and card both sharp",
                          "card held close to the face", "face small beside the card"],
    "barcode": ["pdf417 decoded", "card-shaped region", "barcode sharp", "barcode partly glared",
                "quiet zone clear"],
    "video": ["container readable", "duration within limits", "video track present", "audio track present",
              "resolution below 720p",
              "one face through the video", "steady enough to read"],
}


def f32(x: float) -> float:
    """x as the server stores it: an f32 score widened to a double."""
    return struct.unpack("f", struct.pack("f", x))[0]


def r4(x: float) -> float:
    return round(x, 4)


class Generator:
    def __init__(self, seed: int, integrations: list[str], attempts: int):
        self.rng = random.Random(seed)
        self.integrations = integrations
        self.attempts = attempts
        # A year of traffic that ended an hour ago.
        self.end = int(time.time() * 1000) - 3_600_000
        self.start = self.end - 365 * DAY_MS

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def unit(self, low: float, high: float) -> float:
        return low + (high - low) * self.rng.random()

    def scores(self) -> tuple[float, float]:
        """(accuracy, quality): most captures good, a tail of poor ones."""
        rng = self.rng
        accuracy = rng.betavariate(5, 1.5) if rng.random() < 0.9 else rng.betavariate(1.2, 3)
        quality = rng.betavariate(4, 1.8)
        return f32(accuracy), f32(quality)

    def pixels(self) -> dict:
        u = self.unit
        return {"sharpness": r4(u(0.2, 1)), "exposure": r4(u(0.4, 1)),
                "brightness": r4(u(0.2, 0.8)), "contrast": r4(u(0.3, 1)),
                "noise": r4(u(0.5, 1)), "noise_sigma": r4(u(0.5, 9)), "blockiness": r4(u(0.6, 1))}

    def evidence(self, context: str, width: int, height: int, duration_ms, mimetype: str, size: int) -> str:
        rng, u = self.rng, self.unit
        if context in VIDEO_CONTEXTS:
            family = "video"
        elif context == "document-and-face":
            family = "document-and-face"
        elif context == "document-back-barcode":
            family = "barcode"
        elif context.startswith("document"):
            family = "document"
        else:
            family = "face"
        findings = rng.sample(FINDINGS[family], 4)
        ev = {"family": family if family != "barcode" else "document", "findings": findings,
              "input": {"mimetype": mimetype, "bytes": size, "width": width, "height": height,
                        "exif": rng.random() < 0.6, "decoder": mimetype.split("/")[1]},
              "thresholds": {"match": MATCH, "resolution_px": rng.choice((640, 1000, 1280))}}
        if family == "video":
            ev["resolution"] = r4(u(0.5, 1))
            ev["video"] = {"duration_ms": duration_ms, "width": width, "height": height,
                           "bitrate_kbps": size * 8 // max(duration_ms, 1)}
            ev["container"] = {"mimetype": mimetype, "tracks": rng.choice([1, 2]), "faststart": rng.random() < 0.7}
            return json.dumps(ev, separators=(",", ":"))
        ev["pixels"] = self.pixels()
        ev["resolution"] = r4(u(0.4, 1))
        ev["orientation"] = rng.choice((1, 1, 1, 1, 6, 8, 3))
        if family in ("face", "document-and-face"):
            w = u(0.2, 0.6)
            ev["faces"] = [{"x": r4(u(0, 1 - w)), "y": r4(u(0, 0.4)), "width": r4(w), "height": r4(w * u(1.1, 1.4)),
                            "score": r4(u(1.5, 9))}]
        if family != "face":
            w = u(0.5, 0.95)
            ev["document"] = {"format": "id-1" if rng.random() < 0.8 else "id-3", "aspect": r4(u(1.4, 1.6)),
                              "coverage": r4(w * w * 0.63), "x": r4(u(0, 1 - w)), "y": r4(u(0, 0.3)),
                              "width": r4(w), "height": r4(w * 0.63)}
        if family == "barcode":
            ev["codes"] = [{"format": "pdf417", "payload_bytes": rng.randrange(200, 600)}]
        return json.dumps(ev, separators=(",", ":"))

    def media(self, context: str) -> tuple:
        """(kind, context, mimetype, size, width, height, duration_ms, accuracy, quality, matches, score, evidence)"""
        rng = self.rng
        width, height = rng.choice(RESOLUTIONS)
        if context in VIDEO_CONTEXTS:
            kind, (mimetype, low, high) = "video", rng.choice(VIDEO_TYPES)
            duration_ms = rng.randrange(3_000, 15_000)
        else:
            kind, (mimetype, low, high) = "image", rng.choice(IMAGE_TYPES)
            duration_ms = None
        size = int(low * (high / low) ** rng.random())
        accuracy, quality = self.scores()
        score = f32(quality * (0.75 + 0.25 * accuracy))
        evidence = self.evidence(context, width, height, duration_ms, mimetype, size)
        return (kind, context, mimetype, size, width, height, duration_ms, accuracy, quality, accuracy >= MATCH,
                score, evidence)

    def attempt(self, i: int):
        """One session, its attempt and its media, the i-th in time order."""
        rng = self.rng
        integration = rng.choice(self.integrations)
        session, attempt = self.uuid(), self.uuid()
        submitted = self.start + (self.end - self.start) * i // self.attempts + rng.randrange(0, 60_000)
        opened = submitted - rng.randrange(60_000, 1_800_000)
        session_row = (session, integration, rng.choice(SESSION_STATUSES),
                       self.uuid() if rng.random() < 0.7 else None,
                       "user-%08d" % rng.randrange(10 ** 8) if rng.random() < 0.5 else None,
                       "https://integrator.example/kyc/callback" if rng.random() < 0.3 else None,
                       uuid.UUID(int=rng.getrandbits(128), version=4).hex
                       + uuid.UUID(int=rng.getrandbits(128), version=4).hex,
                       None, opened)
        attempt_row = (attempt, session, "submitted", submitted, 1)
        contexts = list(REQUIRED) + rng.sample(OPTIONAL, MEDIA_PER_ATTEMPT - len(REQUIRED))
        rng.shuffle(contexts)  # upload order
        times = sorted(rng.randrange(opened, submitted) for _ in contexts)
        media_rows = []
        for context, created in zip(contexts, times):
            (kind, context, mimetype, size, width, height, duration_ms, accuracy, quality, matches, score,
             evidence) = self.media(context)
            media_id = self.uuid()
            media_rows.append((media_id, attempt, session, integration, kind, context, mimetype, size, width, height,
                               duration_ms, accuracy, quality, f"{integration}/{media_id}", created, matches, score,
                               evidence))
        return integration, session_row, attempt_row, media_rows


def other_integrations(gen: Generator, count: int) -> list[tuple]:
    rows = []
    for n in range(count):
        rows.append((gen.uuid(), f"scale-{n + 2}", gen.uuid(), gen.start - (n + 1) * DAY_MS, gen.uuid()))
    return rows


def copy_text(rows, out: list) -> None:
    """Rows in COPY's text format; no value here holds a tab, newline or backslash."""
    for row in rows:
        fields = []
        for v in row:
            if v is None:
                fields.append("\\N")
            elif v is True:
                fields.append("t")
            elif v is False:
                fields.append("f")
            else:
                fields.append(str(v))
        out.append("\t".join(fields))


class SqliteSink:
    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None)
        # Only this loader's connection: a bigger page cache for the index
        # inserts. The server opens the file with its own settings.
        self.db.execute("PRAGMA cache_size = -262144")
        self.db.execute("BEGIN")

    def integrations(self, rows):
        self.db.executemany("INSERT INTO integrations (id, name, api_key, active, created_at) VALUES (?, ?, ?, 1, ?)",
                            [r[:4] for r in rows])
        self.db.executemany("INSERT INTO integration_secrets (integration_id, secret, created_at, seq) "
                            "VALUES (?, ?, ?, 1)", [(r[0], r[4], r[3]) for r in rows])

    def chunk(self, sessions, attempts, media):
        def insert(table, columns, rows):
            self.db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                f"({', '.join('?' * len(columns))})", rows)
        insert("sessions", SESSION_COLUMNS, sessions)
        insert("attempts", ATTEMPT_COLUMNS, attempts)
        insert("media", MEDIA_COLUMNS, [m[:15] + (int(m[15]),) + m[16:] for m in media])
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def finish(self) -> float:
        self.db.execute("COMMIT")
        # Into the main file, so that its size on disk is the database's.
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()
        return 0.0


class PostgresSink:
    def __init__(self, url: str):
        self.url = url
        self.psql = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
                                     stdin=subprocess.PIPE, stdout=sys.stderr, text=True)
        self.write("BEGIN;\n")

    def write(self, text: str):
        try:
            self.psql.stdin.write(text)
        except BrokenPipeError:
            sys.exit(f"seed_scale: psql exited with status {self.psql.wait()}")

    def copy(self, table, columns, rows):
        out = [f"COPY {table} ({', '.join(columns)}) FROM STDIN;"]
        copy_text(rows, out)
        out.append("\\.\n")
        self.write("\n".join(out))

    def integrations(self, rows):
        self.copy("integrations", ("id", "name", "api_key", "active", "created_at"),
                  [(r[0], r[1], r[2], True, r[3]) for r in rows])
        self.copy("integration_secrets", ("integration_id", "secret", "created_at", "seq"),
                  [(r[0], r[4], r[3], 1) for r in rows])

    def chunk(self, sessions, attempts, media):
        self.copy("sessions", SESSION_COLUMNS, sessions)
        self.copy("attempts", ATTEMPT_COLUMNS, attempts)
        self.copy("media", MEDIA_COLUMNS, media)

    def finish(self) -> float:
        self.write("COMMIT;\n")
        self.psql.stdin.close()
        if self.psql.wait() != 0:
            sys.exit(f"seed_scale: psql failed with status {self.psql.returncode}")
        started = time.monotonic()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", "VACUUM (ANALYZE)"],
                       check=True, stdout=sys.stderr)
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database")
    parser.add_argument("media", type=int)
    parser.add_argument("request_integration")
    parser.add_argument("ids_out")
    parser.add_argument("--integrations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.media <= 0 or args.media % MEDIA_PER_ATTEMPT:
        sys.exit(f"seed_scale: MEDIA must be a positive multiple of {MEDIA_PER_ATTEMPT}")
    attempts = args.media // MEDIA_PER_ATTEMPT

    url = urllib.parse.urlsplit(args.database)
    if url.scheme == "sqlite":
        sink = SqliteSink(args.database[len("sqlite://"):])
    elif url.scheme in ("postgres", "postgresql"):
        sink = PostgresSink(args.database)
    else:
        sys.exit(f"seed_scale: unsupported database URL {args.database!r}")

    gen = Generator(args.seed, [args.request_integration], attempts)
    started = time.monotonic()
    others = other_integrations(gen, args.integrations - 1)
    sink.integrations(others)
    gen.integrations = [args.request_integration] + [r[0] for r in others]

    request_attempts = []
    step = max(attempts // 10, 1)
    for first in range(0, attempts, CHUNK_ATTEMPTS):
        sessions, attempt_rows, media = [], [], []
        for i in range(first, min(first + CHUNK_ATTEMPTS, attempts)):
            integration, session, attempt, media_rows = gen.attempt(i)
            sessions.append(session)
            attempt_rows.append(attempt)
            media.extend(media_rows)
            if integration == args.request_integration:
                request_attempts.append(attempt[0])
            if (i + 1) % step == 0:
                print(f"seed_scale: {i + 1:,} / {attempts:,} attempts, {time.monotonic() - started:.1f} s",
                      file=sys.stderr)
        sink.chunk(sessions, attempt_rows, media)
    vacuum_seconds = sink.finish()
    seconds = time.monotonic() - started - vacuum_seconds

    with open(args.ids_out, "w") as f:
        f.write("\n".join(request_attempts) + "\n")
    print(f"seed_seconds={seconds:.1f} vacuum_seconds={vacuum_seconds:.1f} sessions={attempts} "
          f"attempts={attempts} media={args.media} request_attempts={len(request_attempts)}")


if __name__ == "__main__":
    main()

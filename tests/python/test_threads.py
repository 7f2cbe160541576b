"""test_threads.py — owns the claims that the module releases the GIL while it works (Engine.scan,
Engine.scan_many, parse, objects) and that threads sharing one engine (scan, parse, objects,
reload while scanning) agree with a single thread and never fail, on the SpamAssassin corpus when
it is there ($KSMG_CORPUS_DIR or .cache/spamassassin, fetched by scripts/fetch-corpus.sh) and else
on the messages of tests/data/mime repeated.

No assertion here is on time: whether two threads scan faster than one depends on idle cores,
so that is a benchmark (bench/python_scan.py reports the speed-up of 2 threads over 1), and the
GIL is proven released by what another thread can observe, as gil_free_levels() explains."""
import base64
import collections
import gc
import os
import pathlib
import random
import threading
import time

import pytest

import ksmg

SKIP_NAMES = {"SOURCE.md", "reference-structure.cpython311.jsonl"}

# Two reads of the calling thread's CPU clock this far apart are two "levels" (see
# gil_free_levels). With the GIL held for a whole call, the caller's clock can move between the
# main thread's reads only by the bytecodes around the call and its waits for the GIL: a few
# microseconds. The calls measured below cost tens of milliseconds of CPU.
LEVEL_NS = 1_000_000
# Calls until one shows three levels. One is enough when the main thread gets a core while the
# caller works; the others are for a machine busy enough that it got none.
ATTEMPTS = 20


def corpus(repo: pathlib.Path, data: pathlib.Path) -> tuple[str, list[bytes]]:
    env = os.environ.get("KSMG_CORPUS_DIR")
    for d in ([pathlib.Path(env)] if env else []) + [repo / ".cache" / "spamassassin"]:
        files = sorted(d.glob("*/*.txt")) if d.is_dir() else []
        if len(files) >= 300:
            # Every set (ham and spam), evenly: 400 messages.
            step = max(1, len(files) // 400)
            return str(d), [f.read_bytes() for f in files[::step][:400]]
    files = sorted(p for p in (data / "mime").rglob("*")
                   if p.is_file() and p.name not in SKIP_NAMES and not p.name.endswith(".tsv"))
    msgs = [p.read_bytes() for p in files]
    return str(data / "mime"), (msgs * (400 // len(msgs) + 1))[:400]


def gil_free_levels(call, attempts: int = ATTEMPTS) -> list[int]:
    """Runs call() on a thread A, up to `attempts` times, while this thread (B) reads A's CPU
    clock in a loop; returns, per call, how many values at least LEVEL_NS apart B read while A
    was inside that call. Stops after the first call with three.

    Why three levels prove that the GIL was released for the work of the call. B reads A's clock
    only while B holds the GIL (time.clock_gettime_ns keeps it), and keeps a read for call k
    only when A's flag said k both just before and just after it: A was between setting the flag
    and clearing it around call() all that time. Suppose the GIL were held for the whole of
    call(). Then B's reads for call k all fall where A is not doing its work: before call()
    enters C++ (A's clock at some value L0, give or take the few bytecodes around the call) or
    after it returns (L0 plus the whole cost of the call, give or take as much). That is at most
    two levels, whatever the scheduler does, and however long B spins or sleeps. A third level
    is a read taken while A's clock was inside the call's work, i.e. while A was working and B
    held the GIL. Nothing here depends on how fast either thread runs: a busy machine can only
    cost attempts.

    The garbage collector is off meanwhile: a collection started by A just before the call
    would be another stretch of A's CPU under the GIL. The switch interval is left as it is:
    it decides how soon A gets the GIL back after the call, not what B can read."""
    flag = [0]
    levels: dict[int, list[int]] = collections.defaultdict(list)
    finished = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def caller():
        try:
            for k in range(1, attempts + 1):
                flag[0] = k
                call()
                flag[0] = 0
                if len(levels[k]) >= 3:
                    break
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            finished.set()
            # Alive until B stops reading its clock (a finished thread's clock is gone).
            release.wait()

    was_enabled = gc.isenabled()
    gc.disable()
    a = threading.Thread(target=caller)
    try:
        a.start()
        clock = time.pthread_getcpuclockid(a.ident)
        while not finished.is_set():
            k = flag[0]
            ns = time.clock_gettime_ns(clock)
            if k and flag[0] == k:
                seen = levels[k]
                if not seen or ns - seen[-1] >= LEVEL_NS:
                    seen.append(ns)
    finally:
        release.set()
        a.join()
        if was_enabled:
            gc.enable()
    assert not errors, errors
    return [len(levels[k]) for k in sorted(levels)]


def big_message(parts: int, part_bytes: int) -> bytes:
    """A message with `parts` base64 attachments of pseudo-random bytes (the same every run):
    scanning and taking it apart cost CPU in proportion to its size."""
    rng = random.Random(parts)
    out = [b"From: a@example.net\r\nTo: b@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"]
    for i in range(parts):
        out.append(b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "
                   b"attachment; filename=\"f%d.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                   % i + base64.encodebytes(rng.randbytes(part_bytes)).replace(b"\n", b"\r\n"))
    out.append(b"--b--\r\n")
    return b"".join(out)


def boundary_lines_message() -> bytes:
    """Parsing work by construction: three million body lines that start like a boundary ("--"),
    each compared with the real one (the parser reads bodies lazily, so a big attachment would
    cost it nothing)."""
    return (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n"
            + b"--\r\n-\r\n--c\r\n" * 3_000_000 + b"--b--\r\n")


@pytest.fixture(scope="module")
def messages(repo, data):
    where, msgs = corpus(repo, data)
    assert len(msgs) >= 300, where
    return msgs


@pytest.fixture(scope="module")
def busy_engine(av_db, tmp_path_factory):
    """The example database with libclamav's clean cache off, so that every scan of the same
    message does the same work (with it on, the calls after the first skip the anti-virus)."""
    cfg = tmp_path_factory.mktemp("threads") / "nocache.toml"
    cfg.write_text("[antivirus]\nclean_cache = false\n")
    return ksmg.Engine(config=cfg, av_db=av_db)


def test_gil_free_levels_sees_a_call_that_holds_the_gil():
    """The control: bytes.count keeps the GIL for its whole search, so another thread can never
    read three levels of the caller's clock inside it, however long it runs."""
    haystack = bytes(64 << 20)
    levels = gil_free_levels(lambda: haystack.count(b"\x01"), attempts=3)
    assert len(levels) == 3 and max(levels) <= 2, levels


def test_scan_releases_the_gil(busy_engine):
    msg = big_message(4, 1 << 20)
    levels = gil_free_levels(lambda: busy_engine.scan(msg))
    assert max(levels) >= 3, levels


def test_scan_many_releases_the_gil(busy_engine):
    # One batch (scan_many hands 64 messages per thread at a time to C++), scanned on the
    # calling thread itself (threads=1), so that its CPU clock is the one that counts the work.
    msgs = [big_message(2, 1 << 20)] * 2
    levels = gil_free_levels(lambda: list(busy_engine.scan_many(msgs, threads=1)))
    assert max(levels) >= 3, levels


def test_parse_releases_the_gil():
    msg = boundary_lines_message()
    levels = gil_free_levels(lambda: ksmg.parse(msg))
    assert max(levels) >= 3, levels


def test_objects_releases_the_gil():
    msg = big_message(200, 64 << 10)
    levels = gil_free_levels(lambda: ksmg.objects(msg))
    assert max(levels) >= 3, levels


def test_plain_threads_share_one_engine(engine, messages):
    msgs = messages[:60]
    want = [v.to_json() for v in (engine.scan(m) for m in msgs)]
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def work(k: int):
        try:
            results[k] = [engine.scan(m).to_json() for m in msgs]
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(results[k] == want for k in range(4))


def test_parse_and_objects_from_threads(messages):
    msgs = messages[:40]
    want = [[p.path for p in ksmg.parse(m).parts] for m in msgs]
    got: list[list[list[str]]] = [None] * 3

    def work(k: int):
        got[k] = [[p.path for p in ksmg.parse(m).parts] for m in msgs]
        for m in msgs:
            ksmg.objects(m)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 3


def test_reload_while_scanning(messages, av_db):
    """Two threads scan without a pause while the engine is reloaded three times; none fails,
    and each scans on every generation: the next reload waits until both have a verdict of the
    current one (the wait only bounds a hang)."""
    e = ksmg.Engine(av_db=av_db)
    generations = [e.generation]
    seen: list[set[int]] = [set(), set()]
    errors: list[BaseException] = []
    changed = threading.Condition()
    stop = threading.Event()

    def scanner(k: int):
        try:
            while not stop.is_set():
                for m in messages[:20]:
                    g = e.scan(m).engine_generation
                    with changed:
                        seen[k].add(g)
                        changed.notify_all()
        except BaseException as exc:  # reported below
            with changed:
                errors.append(exc)
                changed.notify_all()

    def both_scanned_on(g: int) -> None:
        with changed:
            assert changed.wait_for(lambda: errors or all(g in s for s in seen), timeout=120), \
                (g, seen)

    threads = [threading.Thread(target=scanner, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            both_scanned_on(e.generation)
            e.reload()
            generations.append(e.generation)
        both_scanned_on(e.generation)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(set(generations)) == 4
    assert seen == [set(generations)] * 2

"""test_bench_cli.py — the `ksmg-bench` contract (stages parse, objects and scan): one JSON object
with the counts."""
import json
import subprocess


def test_parse_stage_prints_one_json_object(build_dir, repo, tmp_path):
    box = tmp_path / "two.mbox"
    box.write_bytes(b"From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n\n"
                    b"From b@x Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody\n")
    p = subprocess.run([str(build_dir / "bin" / "ksmg-bench"), "--stage", "parse", "--threads", "2",
                        "--iterations", "3", str(repo / "examples/messages"), str(box)],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    doc = json.loads(p.stdout)
    for key in ("messages", "bytes", "seconds", "msgs_per_s", "mb_per_s"):
        assert key in doc, key
    # 3 sample messages + 2 mbox messages, 3 passes; mbox "From " lines are not counted as bytes.
    assert doc["messages"] == 5 * 3
    sample_bytes = sum(f.stat().st_size for f in (repo / "examples/messages").iterdir())
    mbox_bytes = len(b"Subject: one\n\nbody\n") + len(b"Subject: two\n\nbody\n")
    assert doc["bytes"] == (sample_bytes + mbox_bytes) * 3
    assert doc["msgs_per_s"] > 0 and doc["mb_per_s"] > 0


def test_objects_stage_counts_the_same_messages(build_dir, repo):
    p = subprocess.run([str(build_dir / "bin" / "ksmg-bench"), "--stage", "objects", "--iterations",
                        "2", str(repo / "examples/messages")], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    doc = json.loads(p.stdout)
    assert doc["stage"] == "objects"
    assert doc["messages"] == 3 * 2
    assert doc["decoded_bytes"] > 0 and doc["mb_per_s"] > 0


def test_bad_arguments_exit_2(build_dir):
    bench = str(build_dir / "bin" / "ksmg-bench")
    assert subprocess.run([bench, "--stage", "nope", "x"], capture_output=True).returncode == 2
    assert subprocess.run([bench, "--stage", "parse"], capture_output=True).returncode == 2


def test_scan_stage_runs_the_whole_pipeline(build_dir, repo):
    bench = str(build_dir / "bin" / "ksmg-bench")
    p = subprocess.run([bench, "--stage", "scan", "--threads", "2", "--iterations", "2",
                        "--av-db", str(repo / "examples/clamav"), str(repo / "examples/messages")],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    doc = json.loads(p.stdout)
    assert doc["stage"] == "scan" and doc["threads"] == 2
    assert doc["messages"] == 3 * 2
    # Messages the policy acted on: on the defaults, the cut-off executable of malformed.eml.
    assert doc["acted_on"] == 1 * 2
    assert doc["msgs_per_s"] > 0 and doc["mb_per_s"] > 0
    # With the content-filter fixtures' configuration, 9 of the 13 messages trigger.
    content = repo / "tests/data/content"
    p = subprocess.run([bench, "--stage", "scan", "--config", str(content / "content.toml"),
                        "--iterations", "1", str(content / "messages")],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    doc = json.loads(p.stdout)
    assert doc["corpus_messages"] == 13
    assert doc["acted_on"] == 9 * doc["messages"] // 13


def test_scan_stage_config_errors_exit_2(build_dir, repo, tmp_path):
    bench = str(build_dir / "bin" / "ksmg-bench")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[condition]]\nname = \"x\"\nexpresion = \"y\"\n")
    p = subprocess.run([bench, "--stage", "scan", "--config", str(bad),
                        str(repo / "examples/messages")], capture_output=True, timeout=60)
    assert p.returncode == 2 and f"{bad}:3:".encode() in p.stderr
    # --config and --av-db belong to the scan stage only.
    p = subprocess.run([bench, "--stage", "parse", "--config", str(bad),
                        str(repo / "examples/messages")], capture_output=True, timeout=60)
    assert p.returncode == 2
    p = subprocess.run([bench, "--stage", "parse", "--av-db", str(repo / "examples/clamav"),
                        str(repo / "examples/messages")], capture_output=True, timeout=60)
    assert p.returncode == 2
    # The defaults with a database directory that holds no database.
    p = subprocess.run([bench, "--stage", "scan", "--av-db", str(tmp_path),
                        str(repo / "examples/messages")], capture_output=True, timeout=60)
    assert p.returncode == 2 and b"no ClamAV database" in p.stderr

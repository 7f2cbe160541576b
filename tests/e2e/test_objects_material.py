"""test_objects_material.py — every file of the third-party test material (tests/data: archives,
hostile archive reproducers, AV wrappers, TNEF, Office, PDF, MIME torture, auth vectors, ...)
through `ksmg objects --json`, once as the CLI decides (mail or attachment) and once with every
file forced to be an attachment: no crash, no hang, bounded memory, one JSON document per input,
and a consistent tree in each."""
import json
import resource
import subprocess

import pytest

ADDRESS_SPACE_CAP = 4 << 30  # the process is killed if it tries to use more


def cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


@pytest.mark.parametrize("mode", ["auto", "file"])
def test_all_material_lists_without_crash(ksmg, repo, mode):
    data = repo / "tests" / "data"
    files = sorted(p for p in data.rglob("*") if p.is_file())
    assert len(files) > 800
    cmd = [str(ksmg), "objects", "--json"] + (["--file"] if mode == "file" else []) + [str(data)]
    p = subprocess.run(cmd, capture_output=True, timeout=300, preexec_fn=cap_memory)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    seen = set()
    for line in p.stdout.splitlines():
        doc = json.loads(line)
        seen.add(doc["file"])
        objs = doc["objects"]
        for o in objs:
            assert len(o["sha256"]) == 64
            assert o["true_type"] and o["category"]
            if o["parent"] is None:
                assert o["depth"] == 0
            else:
                parent = objs[o["parent"]]
                assert o["parent"] < o["index"]
                assert o["depth"] == parent["depth"] + 1
                assert o["path"].startswith(parent["path"] + "/")
    # Every file gave at least one document (mbox files give one per message).
    assert seen == {str(f) for f in files}

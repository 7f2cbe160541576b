"""test_scan.py — owns Engine.scan, Engine.scan_file and Engine.scan_many from Python and the
Verdict they return: EICAR rejected as infected, clean mail delivered, every envelope keyword,
bytes / bytearray / memoryview input (str refused), the Verdict as a read-only mapping equal to
its JSON (to_json) and its typed attributes down to each module's findings (v.antivirus.status,
None for a module that did not run), a malformed message as a verdict with defects, and
scan_many's order, threads and envelope."""
import collections.abc
import json

import pytest

import ksmg

MODULE_KEYS = {"antivirus", "content_filter", "antispam", "antiphishing", "auth"}


def test_eicar_attachment_is_infected_and_rejected(engine, eicar_mail):
    v = engine.scan(eicar_mail)
    assert isinstance(v, ksmg.Verdict)
    assert v.action == "reject"
    assert v.status("antivirus") == "infected"
    assert v["antivirus"]["status"] == "infected"
    assert v.decided_by == ("antivirus", "infected")
    assert v.reason.startswith("antivirus: infected (Test.EICAR.Local")
    assert "2/eicar.com" in v.reason
    [finding] = v.modules["antivirus"]["findings"]
    assert finding["what"].startswith("Test.EICAR.Local")
    assert finding["where"] == "2/eicar.com"
    assert v.extras == {"backup": True}
    headers = dict(v.headers)
    assert headers["X-KSMG-AntiVirus-Status"].startswith("Infected, Test.EICAR.Local")
    assert headers["X-KSMG-Message-Action"].startswith("rejected")
    assert v.scanned_as == "message"
    assert v.objects == 2 and v.defects == [] and v.limits_exceeded == []


def test_clean_message_is_delivered(engine, clean_mail):
    v = engine.scan(clean_mail)
    assert v.action == "deliver"
    assert v.reason is None and v.decided_by is None and v.extras == {}
    assert v.status("antivirus") == "clean"
    assert v.modules["antivirus"]["findings"] == []
    assert v.modules["antivirus"]["info"].startswith("ClamAV ")
    assert dict(v.headers)["X-KSMG-AntiVirus-Status"] == "Clean"
    assert dict(v.headers)["X-KSMG-Message-Action"] == "delivered"
    assert v.objects == 1 and v.flags == []


def test_the_example_eicar_in_zip_message(engine, repo):
    v = engine.scan((repo / "examples/av-messages/eicar-in-zip.eml").read_bytes())
    assert v.action == "reject" and v.status("antivirus") == "infected"
    assert v.modules["antivirus"]["findings"][0]["where"] == "2/invoice.zip/eicar.com"
    assert "name_type_mismatch" in v.flags and v.objects == 3


def test_verdict_is_a_mapping_equal_to_its_json(engine, eicar_mail):
    v = engine.scan(eicar_mail)
    assert isinstance(v, collections.abc.Mapping)
    doc = json.loads(v.to_json())
    assert dict(v) == doc
    assert len(v) == len(doc) and set(v) == set(doc)
    for key in ("action", "reason", "decided_by", "extras", "scanned_as", "headers", "objects",
                "flags", "limits_exceeded", "defects"):
        assert key in v, key
    assert "file" not in v and "message" not in v
    assert set(doc) - {"action", "reason", "decided_by", "extras", "scanned_as", "headers",
                       "objects", "flags", "limits_exceeded", "defects",
                       "engine_generation"} <= MODULE_KEYS
    # Indented JSON is the same document.
    pretty = v.to_json(indent=2)
    assert "\n  " in pretty and json.loads(pretty) == doc
    assert "\n" not in v.to_json()
    with pytest.raises(KeyError):
        v["no such key"]
    assert v.get("no such key") is None
    assert v["headers"]["X-KSMG-AntiVirus-Status"].startswith("Infected")


def test_verdict_keys_in_the_order_of_ksmg_scan_json(engine, eicar_mail):
    """The order of `ksmg scan --json` (tests/e2e/test_cli_scan.py) without "file" and
    "message": the decision first, the modules, then the totals; the mapping and to_json()
    agree on it."""
    v = engine.scan(eicar_mail)
    keys = list(v)
    assert keys[:5] == ["scanned_as", "action", "reason", "decided_by", "extras"], keys
    assert set(keys[5:7]) == {"antivirus", "content_filter"}, keys
    assert list(json.loads(v.to_json())) == keys


def test_verdict_attributes_are_the_mapping_typed(engine, eicar_mail, clean_mail):
    for v in (engine.scan(eicar_mail), engine.scan(clean_mail)):
        assert v.action == v["action"] and v.reason == v["reason"]
        if v.decided_by is None:
            assert v["decided_by"] is None
        else:
            assert isinstance(v.decided_by, tuple)
            assert v["decided_by"] == {"module": v.decided_by[0], "status": v.decided_by[1]}
        assert v.extras == v["extras"]
        assert isinstance(v.headers, list)
        assert all(isinstance(h, tuple) and len(h) == 2 for h in v.headers)
        assert all(name.startswith("X-KSMG-") for name, _ in v.headers)
        assert dict(v.headers) == v["headers"]
        assert v.modules == {k: v[k] for k in v if k in MODULE_KEYS}
        for name, module in v.modules.items():
            assert set(module) == {"status", "findings", "info"}
            assert v.status(name) == module["status"]
        for name in MODULE_KEYS:
            assert getattr(v, name) == v.get(name)
        assert v.objects == v["objects"] and v.flags == v["flags"]
        assert v.limits_exceeded == v["limits_exceeded"] and v.defects == v["defects"]
        assert v.scanned_as == v["scanned_as"]
        assert v.engine_generation == engine.generation
    assert engine.scan(clean_mail).status("no_such_module") is None


def test_module_results_are_attributes_all_the_way_down(engine, eicar_mail):
    """v.antivirus.findings[0].what reads what v["antivirus"]["findings"][0]["what"] reads: a
    module's result and each finding are read-only mappings equal to their JSON objects, whose
    keys are also attributes; the mapping side stays plain JSON (json.dumps takes dict(v))."""
    v = engine.scan(eicar_mail)
    av = v.antivirus
    assert isinstance(av, ksmg.ModuleResult) and isinstance(av, collections.abc.Mapping)
    assert av.status == v["antivirus"]["status"] == "infected"
    assert av.info == v["antivirus"]["info"] and av.info.startswith("ClamAV ")
    [f] = av.findings
    assert isinstance(f, ksmg.Finding) and isinstance(f, collections.abc.Mapping)
    assert f.where == "2/eicar.com" and f.detail == "infected"
    assert f.what == v["antivirus"]["findings"][0]["what"]
    assert f.what.startswith("Test.EICAR.Local")
    # Both directions of ==, the keys in the JSON's order, the item forms on the typed objects.
    assert av == v["antivirus"] and v["antivirus"] == av and not av != v["antivirus"]
    assert f == v["antivirus"]["findings"][0] and dict(f) == v["antivirus"]["findings"][0]
    assert list(av) == list(v["antivirus"]) == ["status", "findings", "info"]
    assert list(f.keys()) == ["where", "what", "detail"] and len(f) == 3 and "what" in f
    assert av["status"] == av.status and av["findings"][0].what == f.what
    assert av.get("no such key") is None and f.get("no such key", "-") == "-"
    # v.modules holds the same objects.
    assert v.modules["antivirus"] == av and v.modules["antivirus"].findings[0].what == f.what
    assert json.loads(json.dumps(dict(v))) == json.loads(v.to_json())
    assert repr(f).startswith("Finding(where='2/eicar.com', what='Test.EICAR.Local")
    assert repr(av).startswith("ModuleResult(status='infected', findings=[Finding(")
    # Read-only, and a wrong name is an error, as on the Verdict.
    with pytest.raises(AttributeError):
        av.status = "clean"
    with pytest.raises(TypeError):
        av["status"] = "clean"
    with pytest.raises(AttributeError):
        f.what = "nothing"
    with pytest.raises(KeyError):
        av["no such key"]
    with pytest.raises(AttributeError):
        av.no_such_attribute
    with pytest.raises(TypeError):
        hash(av)
    av.findings.clear()  # a new list each time, as the Verdict's attributes are
    assert av.findings == [f] and av["findings"] == [f]


def test_content_filter_findings_as_attributes(content_engine, repo):
    msg = (repo / "tests/data/content/messages/base64-body.eml").read_bytes()
    v = content_engine.scan(msg)
    cf = v.content_filter
    assert cf.status == "triggered" and cf.findings
    for typed, doc in zip(cf.findings, v["content_filter"]["findings"], strict=True):
        assert (typed.where, typed.what, typed.detail) == (doc["where"], doc["what"],
                                                           doc["detail"])


def test_a_module_that_did_not_run_is_none(content_engine, engine, clean_mail):
    """Its attribute is None, as v.status(name) is; the mapping has no key for it (KeyError, as
    for any missing key). content.toml turns the anti-virus off; anti-spam, anti-phishing and
    sender authentication run in no engine yet."""
    v = content_engine.scan(clean_mail)
    assert v.antivirus is None and v.status("antivirus") is None
    assert "antivirus" not in v and "antivirus" not in v.modules
    with pytest.raises(KeyError):
        v["antivirus"]
    assert v.content_filter is not None and v.content_filter.status == "clean"
    for w in (v, engine.scan(clean_mail)):
        for name in MODULE_KEYS - set(w.modules):
            assert getattr(w, name) is None, name
    assert engine.scan(clean_mail).antivirus.status == "clean"
    with pytest.raises(AttributeError):
        v.no_such_module


def test_every_envelope_keyword(content_engine, repo):
    """content.toml's condition fires on mail from outside example.org: the From address stands
    for the sender until the envelope names one from inside."""
    msg = (repo / "tests/data/content/messages/base64-body.eml").read_bytes()
    outside = content_engine.scan(msg)
    assert outside.action == "reject" and outside.status("content_filter") == "triggered"
    inside = content_engine.scan(msg, sender="carol@example.org", recipients=["bob@example.org"],
                                 client_ip="192.0.2.1", helo="mx.example.org")
    assert inside.action == "deliver" and inside.decided_by is None
    assert inside.status("content_filter") == "clean"
    # Every iterable of recipients, no recipient, the IPv6 client.
    for rcpts in ((), ["a@example.org"], ("a@example.org", "b@example.com"),
                  (r for r in ["c@example.org"])):
        v = content_engine.scan(msg, sender="mallory@elsewhere.test", recipients=rcpts,
                                client_ip="2001:db8::1", helo="mail.elsewhere.test")
        assert v.action == "reject"
    with pytest.raises(TypeError):
        content_engine.scan(msg, "positional@sender.test")  # the envelope is keyword-only
    with pytest.raises(TypeError):
        content_engine.scan(msg, bogus=1)


def test_bytes_like_inputs_give_the_same_verdict(engine, eicar_mail):
    want = dict(engine.scan(eicar_mail))
    assert dict(engine.scan(bytearray(eicar_mail))) == want
    assert dict(engine.scan(memoryview(eicar_mail))) == want
    # A memoryview of a slice: the message inside a larger buffer.
    buf = b"garbage" + eicar_mail + b"trailer"
    view = memoryview(buf)[7:7 + len(eicar_mail)]
    assert dict(engine.scan(view)) == want


def test_str_is_not_a_message(engine, clean_mail):
    with pytest.raises(TypeError):
        engine.scan(clean_mail.decode())
    with pytest.raises(TypeError):
        engine.scan(None)


def test_returned_strings_are_str(engine, eicar_mail):
    v = engine.scan(eicar_mail)
    assert isinstance(v.action, str) and isinstance(v.reason, str)
    assert all(isinstance(n, str) and isinstance(val, str) for n, val in v.headers)
    assert isinstance(v.to_json(), str)


def test_scan_file_scans_a_file_as_one_attachment(engine, data):
    eicar = (data / "av/eicar/eicar.com").read_bytes()
    v = engine.scan_file(eicar, name="eicar.com")
    assert v.scanned_as == "file"
    assert v.action == "reject" and v.status("antivirus") == "infected"
    assert v.modules["antivirus"]["findings"][0]["where"] == "eicar.com"
    # Through two zip layers, with the default name.
    v = engine.scan_file((data / "av/eicar/eicarcom2.zip").read_bytes())
    assert v.status("antivirus") == "infected"
    assert v.modules["antivirus"]["findings"][0]["where"].endswith("eicar_com.zip/eicar.com")
    assert v.objects == 3
    v = engine.scan_file(bytearray((data / "truetype/ft_fixture.png").read_bytes()), "logo.png")
    assert v.scanned_as == "file" and v.action == "deliver"
    assert v.status("antivirus") == "clean"


def test_clamav_test_file_in_its_wrappers(engine, data):
    """The example database also holds ClamAV-Test-File (clam.exe of clamav-testfiles)."""
    d = data / "av/clamav-testfiles"
    for name in ("clam.exe", "clam.zip", "clam.7z", "clam.tar.gz"):
        v = engine.scan_file((d / name).read_bytes(), name=name)
        assert v.status("antivirus") == "infected", (name, dict(v))
        assert v.modules["antivirus"]["findings"][0]["what"].startswith("ClamAV-Test-File")


@pytest.mark.parametrize("sample, defects", [
    ("mime/mailparser/mail_malformed_3.eml", {"start_boundary_not_found",
                                               "close_boundary_not_found"}),
    ("mime/mimekit/dkim__multipart-no-end-boundary.msg", {"close_boundary_not_found"}),
    ("mime/spamassassin/spam_badmime2.txt", {"missing_header_body_separator",
                                              "duplicate_content_type"}),
    ("mime/mimekit/messages__missing-subtype.txt", {"invalid_content_type"}),
])
def test_malformed_message_is_a_verdict_with_defects(content_engine, data, sample, defects):
    v = content_engine.scan((data / sample).read_bytes())
    assert isinstance(v, ksmg.Verdict)
    assert defects <= set(v.defects), v.defects
    assert set(v["defects"]) == set(v.defects)


def test_malformed_example_with_the_antivirus(engine, repo):
    v = engine.scan((repo / "examples/messages/malformed.eml").read_bytes())
    # The parse's defect and the one only decoding the exe part finds, as `ksmg parse` says.
    assert {"close_boundary_not_found", "invalid_base64"} <= set(v.defects), v.defects
    assert v.decided_by == ("antivirus", "probably_infected")
    assert v.action == "reject"


def test_hostile_inputs_never_raise(engine):
    for raw in (b"", b"\x00" * 1000, b"From: x\r\n" * 5000, b"\xff\xfe" + b"\r\n" * 10,
                b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"--a\r\n" * 3000):
        v = engine.scan(raw)
        assert v.action in {"deliver", "tempfail", "discard", "reject"}
        assert json.loads(v.to_json()) == dict(v)


def test_scan_many_keeps_the_order_and_matches_scan(engine, eicar_mail, clean_mail, repo):
    msgs = [eicar_mail, clean_mail, (repo / "examples/messages/malformed.eml").read_bytes()] * 5
    want = [dict(engine.scan(m)) for m in msgs]
    for threads in (1, 2, 4, None):
        got = list(engine.scan_many(msgs, threads=threads))
        assert all(isinstance(v, ksmg.Verdict) for v in got)
        assert [dict(v) for v in got] == want, threads
    # A lazy iterable of mixed bytes-like objects.
    lazy = (bytearray(m) if i % 2 else memoryview(m) for i, m in enumerate(msgs))
    assert [v.action for v in engine.scan_many(lazy, threads=3)] == [w["action"] for w in want]
    assert list(engine.scan_many([], threads=2)) == []
    with pytest.raises(ValueError):
        list(engine.scan_many(msgs, threads=-1))


def test_scan_many_passes_the_envelope(content_engine, repo):
    msg = (repo / "tests/data/content/messages/base64-body.eml").read_bytes()
    assert {v.action for v in content_engine.scan_many([msg] * 4, threads=2)} == {"reject"}
    inside = content_engine.scan_many([msg] * 4, threads=2, sender="carol@example.org",
                                      recipients=["bob@example.org"], client_ip="192.0.2.1",
                                      helo="mx.example.org")
    assert {v.action for v in inside} == {"deliver"}

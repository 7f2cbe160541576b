"""test_objects.py — owns ksmg.objects from Python: the object tree of a message (MIME leaves, the
members of a zip attachment with their paths, true types, categories, sizes and SHA-256, parent
and children indexes, flags) and of a file scanned as one attachment (name= mode), nested
archives included; every Object's data is the bytes its size and sha256 describe."""
import email.message
import hashlib

import pytest

import ksmg


def mail_with(attachment: bytes, filename: str, maintype: str, subtype: str) -> bytes:
    m = email.message.EmailMessage()
    m["From"] = "Alice <alice@example.net>"
    m["To"] = "bob@example.org"
    m["Subject"] = "files"
    m.set_content("see attached\n")
    m.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    return m.as_bytes()


def check_consistent(objs):
    for i, o in enumerate(objs):
        assert isinstance(o, ksmg.Object)
        assert o.index == i
        assert o.size == len(o.data)
        assert o.sha256 == hashlib.sha256(o.data).hexdigest()
        assert isinstance(o.flags, list) and isinstance(o.limits_exceeded, list)
        for c in o.children:
            assert objs[c].parent == i and objs[c].depth == o.depth + 1
        if o.parent is None:
            assert o.depth == 0
        else:
            assert i in objs[o.parent].children
            assert o.path.startswith(objs[o.parent].path + "/")


def test_zip_attachment_yields_its_members(data):
    zip_data = (data / "truetype/ft_fixture.zip").read_bytes()
    jpg = (data / "truetype/ft_fixture.jpg").read_bytes()
    objs = ksmg.objects(mail_with(zip_data, "photos.zip", "application", "zip"))
    check_consistent(objs)
    assert [o.path for o in objs] == ["1", "2/photos.zip", "2/photos.zip/test.jpg"]
    text, archive, member = objs
    assert text.origin == "mime_part" and text.true_type == "text/plain"
    assert text.category == "text" and text.parent is None and text.children == []
    assert archive.origin == "mime_part" and archive.name == "photos.zip"
    assert archive.declared_type == "application/zip"
    assert archive.true_type == "application/zip" and archive.category == "archive"
    assert archive.container == "zip" and archive.children == [2]
    assert archive.data == zip_data and archive.size == len(zip_data)
    assert member.origin == "member" and member.name == "test.jpg"
    assert member.parent == 1 and member.depth == 1
    assert member.true_type == "image/jpeg" and member.category == "image"
    assert member.container == ""
    # The member is the zip's test.jpg; ft_fixture.jpg is the same picture.
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(zip_data)) as z:
        assert member.data == z.read("test.jpg")
    assert member.sha256 == hashlib.sha256(member.data).hexdigest()
    assert jpg[:3] == member.data[:3] == b"\xff\xd8\xff"


def test_true_type_regardless_of_name(data):
    """An executable named like a picture is found for what it is."""
    exe = (data / "truetype/ft_fixture.exe").read_bytes()
    objs = ksmg.objects(mail_with(exe, "holiday.jpg", "image", "jpeg"))
    check_consistent(objs)
    pic = objs[1]
    assert pic.declared_type == "image/jpeg" and pic.name == "holiday.jpg"
    assert pic.category == "executable"
    assert "name_type_mismatch" in pic.flags


def test_name_mode_scans_a_file_as_one_attachment(data):
    raw = (data / "av/eicar/eicarcom2.zip").read_bytes()
    objs = ksmg.objects(raw, name="eicarcom2.zip")
    check_consistent(objs)
    assert [o.path for o in objs] == ["eicarcom2.zip", "eicarcom2.zip/eicar_com.zip",
                                      "eicarcom2.zip/eicar_com.zip/eicar.com"]
    assert [o.origin for o in objs] == ["file", "member", "member"]
    assert [o.depth for o in objs] == [0, 1, 2]
    assert [o.true_type for o in objs[:2]] == ["application/zip", "application/zip"]
    assert [o.container for o in objs] == ["zip", "zip", ""]
    eicar = objs[2]
    assert eicar.data == (data / "av/eicar/eicar.com").read_bytes()
    assert eicar.sha256 == "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
    assert eicar.size == 68


def test_name_mode_versus_message_mode(data):
    """Without name= the same bytes are read as a message."""
    jar = (data / "archives/libarchive/test_compat_zip_1.zip").read_bytes()
    as_file = ksmg.objects(jar, name="test.zip")
    assert [o.path for o in as_file] == ["test.zip", "test.zip/META-INF/MANIFEST.MF",
                                         "test.zip/tmp.class"]
    assert as_file[0].true_type == "application/java-archive"
    assert as_file[2].true_type == "application/x-java-applet"
    # Read as a message it is the body of a header-less message, part "0", whose true type
    # (not the declared text/plain) still gets it unpacked.
    as_message = ksmg.objects(jar)
    assert [o.path for o in as_message] == ["0", "0/META-INF/MANIFEST.MF", "0/tmp.class"]
    assert [o.origin for o in as_message] == ["mime_part", "member", "member"]
    assert as_message[0].true_type == "application/java-archive"


def test_example_message_with_eicar_in_zip(repo):
    objs = ksmg.objects((repo / "examples/av-messages/eicar-in-zip.eml").read_bytes())
    check_consistent(objs)
    assert [o.path for o in objs] == ["1", "2/invoice.zip", "2/invoice.zip/eicar.com"]
    assert "name_type_mismatch" in objs[2].flags


def test_office_macros_are_flagged(data):
    """SpamAssassin's OLEVBMacro sample: an .xlsm with a VBA macro."""
    objs = ksmg.objects((data / "av/macro-mail/macro.eml").read_bytes())
    check_consistent(objs)
    xlsm = next(o for o in objs if o.name == "macro.xlsm")
    assert xlsm.path == "2/macro.xlsm" and "macros" in xlsm.flags
    assert xlsm.category == "office_document_with_macros"
    nomacro = ksmg.objects((data / "av/macro-mail/nomacro.eml").read_bytes())
    assert all("macros" not in o.flags for o in nomacro)


def test_encrypted_members_are_flagged(data):
    path = data / "archives/libarchive/test_read_format_rar5_encrypted.rar"
    objs = ksmg.objects(path.read_bytes(), name=path.name)
    check_consistent(objs)
    by_name = {o.name: o for o in objs}
    assert objs[0].container == "rar" or objs[0].true_type == "application/x-rar"
    assert "encrypted" in objs[0].flags
    assert "encrypted" in by_name["b.txt"].flags and "encrypted" in by_name["d.txt"].flags
    assert "encrypted" not in by_name["a.txt"].flags


def test_bytes_like_and_wrong_types(data):
    raw = (data / "av/eicar/eicarcom2.zip").read_bytes()
    want = [o.path for o in ksmg.objects(raw, name="x.zip")]
    assert [o.path for o in ksmg.objects(bytearray(raw), name="x.zip")] == want
    assert [o.path for o in ksmg.objects(memoryview(raw), name="x.zip")] == want
    with pytest.raises(TypeError):
        ksmg.objects("not bytes")
    with pytest.raises(TypeError):
        ksmg.objects(raw, "x.zip")  # name is keyword-only

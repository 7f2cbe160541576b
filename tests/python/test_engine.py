"""test_engine.py — owns the Engine's life cycle from Python: every way to build one (Engine(),
Engine(config=...), Engine(av_db=...), Engine.from_toml, str and os.PathLike paths), its
attributes (generation, antivirus, config_path), the errors (ConfigError is a KsmgError and names
the file, line, column and key; a missing anti-virus database is refused with a clear message),
and reload: a new generation on success, ConfigError on a broken configuration with the engine
still in service on the old one."""
import pathlib

import pytest

import ksmg


def write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.write_text(text)
    return path


NO_AV = "[modules]\nantivirus = false\n"


def test_exception_hierarchy_and_version():
    assert issubclass(ksmg.KsmgError, Exception)
    assert issubclass(ksmg.ConfigError, ksmg.KsmgError)
    assert isinstance(ksmg.__version__, str) and ksmg.__version__.count(".") >= 2
    assert set(ksmg.__all__) >= {"Engine", "Verdict", "ConfigError", "KsmgError", "parse",
                                 "objects", "Message", "Part", "Header", "Object"}


def test_engine_with_the_example_database(av_db, clean_mail):
    for db in (av_db, str(av_db)):  # os.PathLike and str
        e = ksmg.Engine(av_db=db)
        assert e.antivirus is True
        assert e.config_path is None
        assert isinstance(e.generation, int)
        v = e.scan(clean_mail)
        assert v.status("antivirus") == "clean" and v.action == "deliver"


def test_engine_on_the_builtin_defaults(clean_mail):
    """Engine(): the built-in defaults, whose anti-virus module reads /var/lib/clamav. A machine
    without ClamAV's databases there gets a ConfigError that says so (never an engine that
    passes mail unscanned)."""
    db = pathlib.Path("/var/lib/clamav")
    has_db = db.is_dir() and any(p.suffix in {".cvd", ".cld", ".hdb", ".hsb", ".ndb", ".ldb"}
                                 for p in db.iterdir())
    if has_db:
        e = ksmg.Engine()
        assert e.antivirus is True and e.config_path is None
        assert e.scan(clean_mail).status("antivirus") == "clean"
    else:
        with pytest.raises(ksmg.ConfigError) as err:
            ksmg.Engine()
        assert "antivirus.database_dir" in str(err.value)
        assert "/var/lib/clamav" in str(err.value)
        assert err.value.key == "antivirus.database_dir"


def test_engine_from_a_config_file(tmp_path, clean_mail):
    cfg = write(tmp_path / "ksmg.toml", NO_AV)
    for e in (ksmg.Engine(config=cfg), ksmg.Engine(str(cfg)), ksmg.Engine.from_toml(cfg),
              ksmg.Engine.from_toml(str(cfg))):
        assert isinstance(e, ksmg.Engine)
        assert e.antivirus is False
        assert e.config_path == str(cfg)
        v = e.scan(clean_mail)
        assert v.action == "deliver"
        assert "antivirus" not in v and v.status("antivirus") is None


def test_av_db_turns_the_antivirus_module_on(tmp_path, av_db, eicar_mail):
    cfg = write(tmp_path / "ksmg.toml", NO_AV)
    for e in (ksmg.Engine(config=cfg, av_db=av_db), ksmg.Engine.from_toml(cfg, av_db=av_db)):
        assert e.antivirus is True
        assert e.scan(eicar_mail).status("antivirus") == "infected"


def test_the_example_configuration_loads(repo, av_db, clean_mail):
    e = ksmg.Engine.from_toml(repo / "examples" / "ksmg.toml", av_db=av_db)
    assert e.config_path == str(repo / "examples" / "ksmg.toml")
    assert e.scan(clean_mail).action == "deliver"


def test_missing_database_directory_is_a_config_error(tmp_path, clean_mail):
    nowhere = tmp_path / "nowhere"
    with pytest.raises(ksmg.ConfigError) as err:
        ksmg.Engine(av_db=nowhere)
    assert isinstance(err.value, ksmg.KsmgError)
    msg = str(err.value)
    assert "antivirus.database_dir" in msg and str(nowhere) in msg, msg
    assert err.value.key == "antivirus.database_dir"
    # An empty directory holds no database either.
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ksmg.KsmgError) as err:
        ksmg.Engine(av_db=empty)
    assert "antivirus.database_dir" in str(err.value) and str(empty) in str(err.value)


@pytest.mark.parametrize("text, line, column, key, words", [
    (NO_AV + "bogus_key = 1\n", 3, 1, "modules.bogus_key", "unknown"),
    (NO_AV + "[limits]\nmax_parts = \"abc\"\n", 4, 13, "limits.max_parts", "integer"),
])
def test_bad_config_file_names_file_line_column_and_key(tmp_path, text, line, column, key, words):
    cfg = write(tmp_path / "bad.toml", text)
    for make in (lambda: ksmg.Engine(config=cfg), lambda: ksmg.Engine.from_toml(cfg)):
        with pytest.raises(ksmg.ConfigError) as err:
            make()
        e = err.value
        assert isinstance(e, ksmg.KsmgError)
        assert e.file == str(cfg)
        assert (e.line, e.column, e.key) == (line, column, key)
        msg = str(e)
        assert f"{cfg}:{line}:{column}" in msg and key in msg and words in msg, msg


def test_toml_syntax_error_has_a_line(tmp_path):
    cfg = write(tmp_path / "broken.toml", "[modules\nantivirus = false\n")
    with pytest.raises(ksmg.ConfigError) as err:
        ksmg.Engine(config=cfg)
    assert err.value.file == str(cfg) and err.value.line == 1
    assert f"{cfg}:1:" in str(err.value)


def test_unreadable_config_file(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(ksmg.ConfigError) as err:
        ksmg.Engine(config=missing)
    assert str(missing) in str(err.value)
    assert err.value.line == 0  # about the whole file


def test_wrong_argument_types():
    with pytest.raises(TypeError):
        ksmg.Engine(config=42)
    with pytest.raises(TypeError):
        ksmg.Engine(nonsense=True)


def test_reload_gives_a_new_generation(tmp_path, av_db, eicar_mail):
    cfg = write(tmp_path / "ksmg.toml", NO_AV)
    e = ksmg.Engine(config=cfg, av_db=av_db)
    g0 = e.generation
    assert e.scan(eicar_mail).engine_generation == g0
    e.reload()
    assert e.generation > g0
    v = e.scan(eicar_mail)
    assert v.engine_generation == e.generation
    assert v.status("antivirus") == "infected"


def test_reload_reads_the_changed_file(tmp_path, repo):
    """A reload compiles the file as it is now: the content filter of tests/data/content,
    copied with its dictionaries, goes from off to on."""
    import shutil
    src = repo / "tests" / "data" / "content"
    shutil.copytree(src / "dictionaries", tmp_path / "dictionaries")
    cfg = write(tmp_path / "content.toml", NO_AV)
    msg = (src / "messages" / "base64-body.eml").read_bytes()
    e = ksmg.Engine(config=cfg)
    assert e.scan(msg).action == "deliver"
    shutil.copy(src / "content.toml", cfg)
    e.reload()
    v = e.scan(msg)
    assert v.action == "reject" and v.status("content_filter") == "triggered"


def test_reload_of_a_broken_config_keeps_the_engine_working(tmp_path, av_db, eicar_mail,
                                                            clean_mail):
    cfg = write(tmp_path / "ksmg.toml", NO_AV)
    e = ksmg.Engine(config=cfg, av_db=av_db)
    g0 = e.generation
    write(cfg, NO_AV + "[limits]\nmax_parts = -3\n")
    with pytest.raises(ksmg.ConfigError) as err:
        e.reload()
    assert err.value.file == str(cfg) and err.value.line == 4
    assert err.value.key == "limits.max_parts"
    # Still in service, on the old generation.
    assert e.generation == g0
    v = e.scan(eicar_mail)
    assert v.status("antivirus") == "infected" and v.engine_generation == g0
    assert e.scan(clean_mail).action == "deliver"
    # A syntax error as well, then a fixed file reloads again.
    write(cfg, "[modules\n")
    with pytest.raises(ksmg.KsmgError):
        e.reload()
    assert e.scan(clean_mail).action == "deliver"
    write(cfg, NO_AV)
    e.reload()
    assert e.generation > g0
    assert e.scan(eicar_mail).status("antivirus") == "infected"


def test_reload_when_the_database_directory_disappeared(tmp_path, av_db, clean_mail):
    import shutil
    db = tmp_path / "db"
    shutil.copytree(av_db, db)
    e = ksmg.Engine(av_db=db)
    g0 = e.generation
    shutil.rmtree(db)
    with pytest.raises(ksmg.ConfigError) as err:
        e.reload()
    assert str(db) in str(err.value)
    assert e.generation == g0
    assert e.scan(clean_mail).status("antivirus") == "clean"

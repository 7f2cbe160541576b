"""test_redteam.py — owns the differential red team in CI (issue 17): hostile messages from the
grammar of tests/redteam, a fixed seed and a wall-time bound, and every payload that Python's
email package, GMime or a recipient's unzip, eml viewer, newsreader or browser extracts must be
in ksmg's object tree or flagged by ksmg (tests/redteam/judge.py says exactly what counts).

Also that the tool itself can be trusted: the generator is deterministic, every trick of the
grammar reaches a client on its own (a trick no client reads proves nothing), and the clients
and ksmg both see the payload of the untricked message (a blind oracle would pass everything).
Longer runs by hand: tests/redteam/run.py.
"""
import os
import pathlib
import sys
import tempfile

import pytest

import ksmg

REDTEAM = pathlib.Path(__file__).resolve().parents[1] / "redteam"
sys.path.insert(0, str(REDTEAM))

import campaign  # noqa: E402
import clients  # noqa: E402
import grammar  # noqa: E402
import judge  # noqa: E402

SEED = 17
COUNT = 1000
BUDGET_S = 60.0
SEEDS_PER_TRICK = 12


@pytest.fixture(scope="module")
def redteam_engine(tmp_path_factory):
    return ksmg.Engine(av_db=judge.write_av_db(tmp_path_factory.mktemp("redteam-db")))


def test_the_generator_is_deterministic():
    for seed in (0, 1, 99):
        a, b = grammar.compose(seed), grammar.compose(seed)
        assert a.raw == b.raw and a.tricks == b.tricks
    assert grammar.compose(0).raw != grammar.compose(1).raw
    # A subset of a case's tricks composes the same variants of them (minimizing relies on it).
    case = next(c for c in grammar.generate(SEED, 100) if len(c.tricks) == 4)
    for name, applied in zip(case.trick_names[1:], case.tricks[1:]):
        assert applied in grammar.compose(case.seed, [name]).tricks


@pytest.mark.parametrize("trick", [t.name for t in grammar.TRICKS])
def test_every_trick_alone_reaches_a_client(trick):
    reached = [c for c in grammar.generate(SEED, SEEDS_PER_TRICK, [trick])
               if any(i.is_payload for i in clients.extract(c.raw))]
    assert reached, f"no client extracts the payload of {trick} in {SEEDS_PER_TRICK} messages"


def test_clients_and_ksmg_see_the_untricked_payload(redteam_engine):
    for case in grammar.generate(SEED, 4, []):
        payloads = [i for i in clients.extract(case.raw) if i.is_payload]
        assert {i.client.split(">")[0] for i in payloads} == set(clients.PARSERS), case.tricks
        j = judge.judge(redteam_engine, ksmg, case.raw, strict=True)
        assert (j.av_status, j.action, j.missing) == ("infected", "reject", []), case.tricks


def test_ksmg_scans_or_flags_every_payload_a_client_extracts(redteam_engine):
    # Made only when something fails: the failing messages, for reproduction.
    out = pathlib.Path(tempfile.gettempdir()) / f"ksmg-redteam-{os.getpid()}"
    report = campaign.run(redteam_engine, ksmg, SEED, COUNT, BUDGET_S, out)
    assert report.messages >= 100, f"only {report.messages} messages in {BUDGET_S} s"
    assert not report.failures, (
        f"{len(report.failures)} of {report.messages} messages deliver a payload ksmg neither "
        f"extracted nor flagged; messages in {out}, reproduce one with "
        f"tests/redteam/run.py or grammar.compose(seed, tricks)\n" + report.summary() + "\n" +
        "\n".join(f.describe() for f in report.failures[:20]))

"""campaign.py — owns a red-team run: generate messages from a seed, judge each, keep what failed
and the tally per trick; shared by the CI test (tests/python/test_redteam.py) and run.py.

A run stops after `count` messages or when `budget_s` of wall time is spent, whichever comes
first; the messages judged are always a prefix of the seed's sequence, so a shorter run is a
subset of a longer one with the same seed. Failed messages are written to `out` (when given) as
<seed>.eml with <seed>.txt beside it: the tricks, which clients extracted the payload, what
ksmg did and its object tree.
"""
import collections
import itertools
import pathlib
import time
from dataclasses import dataclass, field

import grammar
import judge as judging


@dataclass
class Failure:
    case: grammar.Case
    judgement: judging.Judgement
    cause: grammar.Case  # the smallest subset of the case's tricks that still fails

    @property
    def cause_name(self) -> str:
        return " + ".join(self.cause.trick_names[1:])

    def describe(self) -> str:
        j = self.judgement
        lines = [f"seed {self.case.seed}: {' + '.join(self.case.tricks)}",
                 f"  smallest failing subset: {' + '.join(self.cause.tricks)} "
                 f"(grammar.compose({self.case.seed}, {self.cause.trick_names[1:]}))",
                 f"  ksmg: action {j.action}, antivirus {j.av_status}",
                 "  clients that extracted the payload: " +
                 ", ".join(sorted({f'{i.client} ({i.label})' for i in j.missing}))]
        lines += ["  ksmg's objects:"] + [f"    {o}" for o in j.ksmg_objects]
        return "\n".join(lines)


@dataclass
class Tally:
    generated: int = 0
    inert: int = 0
    judged: int = 0
    failed: int = 0


@dataclass
class Report:
    seed: int
    messages: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    per_trick: dict[str, Tally] = field(default_factory=lambda: collections.defaultdict(Tally))

    def summary(self) -> str:
        lines = [f"seed {self.seed}: {self.messages} messages in {self.seconds:.1f} s, "
                 f"{len(self.failures)} failed"]
        lines.append(f"  {'trick':30} {'principle':>9} {'made':>5} {'inert':>5} {'judged':>6} "
                     f"{'failed':>6}  smallest failing seed")
        for t in grammar.TRICKS:
            s = self.per_trick.get(t.name, Tally())
            mine = [f for f in self.failures if t.name in f.case.trick_names]
            smallest = min(mine, key=lambda f: (len(f.case.tricks), len(f.case.raw)),
                           default=None)
            example = (f"{smallest.case.seed} ({' + '.join(smallest.case.tricks[1:])})"
                       if smallest else "")
            lines.append(f"  {t.name:30} {t.principle:>9} {s.generated:>5} {s.inert:>5} "
                         f"{s.judged:>6} {s.failed:>6}  {example}")
        causes = collections.defaultdict(list)
        for f in self.failures:
            causes[f.cause_name].append(f)
        lines.append("  failures by cause (smallest failing subset of tricks): count, smallest")
        for name, fs in sorted(causes.items(), key=lambda kv: -len(kv[1])):
            small = min(fs, key=lambda f: len(f.cause.raw))
            lines.append(f"    {len(fs):5}  {name}: compose({small.case.seed}, "
                         f"{small.cause.trick_names[1:]}) = {' + '.join(small.cause.tricks)}")
        return "\n".join(lines)


def _smallest_failing(engine, ksmg_module, case: grammar.Case, strict: bool) -> grammar.Case:
    """The case composed of the fewest of its tricks that still fails (the same seed gives each
    trick the same variant in any subset)."""
    names = case.trick_names[1:]
    for k in range(1, len(names)):
        for subset in itertools.combinations(names, k):
            smaller = grammar.compose(case.seed, list(subset))
            if judging.judge(engine, ksmg_module, smaller.raw, strict=strict).failed:
                return smaller
    return case


def run(engine, ksmg_module, seed: int, count: int, budget_s: float,
        out: pathlib.Path | None = None, strict: bool = False,
        names: list[str] | None = None, minimize: bool = False) -> Report:
    report = Report(seed)
    start = time.monotonic()
    for case in grammar.generate(seed, count, names):
        if time.monotonic() - start > budget_s:
            break
        j = judging.judge(engine, ksmg_module, case.raw, strict=strict)
        report.messages += 1
        for name in case.trick_names[1:]:
            t = report.per_trick[name]
            t.generated += 1
            t.inert += j.inert
            t.judged += not j.inert
            t.failed += j.failed
        if j.failed:
            cause = _smallest_failing(engine, ksmg_module, case, strict) if minimize else case
            failure = Failure(case, j, cause)
            report.failures.append(failure)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{case.seed}.eml").write_bytes(case.raw)
                (out / f"{case.seed}.txt").write_text(failure.describe() + "\n")
    report.seconds = time.monotonic() - start
    return report

#!/usr/bin/python3
"""to_json.py — converts the openspf suites (rfc7208-tests.yml, rfc4408-tests.yml) to the JSON
that tests/unit/library/test_spf_record.cpp and test_spf.cpp read (nlohmann_json; the C++ tests carry no YAML
reader). Run from this folder: /usr/bin/python3 to_json.py

Besides each scenario's records and tests, it marks the permerror tests that the SYNTAX of one
record decides (RFC 7208 4.6: a syntax error anywhere is a permerror before evaluation), naming
the domain of that record; the other permerror tests (lookup limits, include of a domain without
a record, conflicting records, names invalid only once expanded) need check_host() and DNS.
It also writes the fuzz_spf_record seeds (seeds/<suite>-<n>: one scenario's records, one a line).
Strings go out as JSON text: the suites' non-ASCII characters arrive as their UTF-8 bytes, which
the grammar refuses as it refuses the bytes themselves.
"""
import json
import os
import yaml

# Permerror tests decided by one record's syntax: test name -> domain of the record at fault
# (None: the domain of the checked identity, MAIL FROM or else HELO).
SYNTAX_ERRORS = {name: None for name in """
non-ascii-policy non-ascii-mech non-ascii-result control-char-policy badip4 detect-errors-anywhere
modifier-charset-bad1 modifier-charset-bad2 redirect-is-modifier invalid-domain all-dot all-arg
all-cidr ptr-cidr ptr-empty-domain a-bad-cidr4 a-bad-cidr6 a-dual-cidr-ip4-err a-bad-domain a-null
a-numeric a-numeric-toplabel a-bad-toplabel a-only-toplabel a-only-toplabel-trailing-dot
a-empty-domain include-syntax-error include-cidr include-empty-domain mx-bad-cidr4 mx-bad-cidr6
mx-bad-domain mx-null mx-numeric-top-label mx-bad-toplab mx-empty-domain exists-empty-domain
exists-implicit exists-cidr cidr4-33 cidr4-032 bare-ip4 bad-ip4-port bad-ip4-short ip4-dual-cidr
bare-ip6 cidr6-129 cidr6-bad ip6-bad1 redirect-syntax-error invalid-modifier empty-modifier-name
exp-empty-domain exp-syntax-error exp-twice redirect-empty-domain redirect-twice
unknown-modifier-syntax exp-only-macro-char invalid-macro-char invalid-embedded-macro-char
invalid-trailing-macro-char undef-macro""".split()}
# The checked domain includes one whose record is malformed.
SYNTAX_ERRORS["include-permerror"] = "e6.example.com"


def results(value):
    return value if isinstance(value, list) else [value]


def zone_entry(entry):
    """One zonedata entry, in its order: {"type", "text"} with the record's presentation data
    (MX as "preference exchange"); "TIMEOUT" (a plain string in the YAML) has type TIMEOUT and
    no text; "TXT: NONE" / "SPF: NONE" (no record of the type, the name exists) has "none"."""
    if not isinstance(entry, dict):
        return {"type": str(entry), "text": ""}
    ((rtype, value),) = entry.items()
    if value == "NONE":
        return {"type": rtype, "text": "", "none": True}
    if rtype in ("TXT", "SPF"):
        # A list is one record in several strings, joined (RFC 7208 3.3).
        return {"type": rtype, "text": "".join(value) if isinstance(value, list) else value}
    if rtype == "MX":
        # An empty exchange is the root, a null MX (RFC 7505).
        return {"type": rtype, "text": f"{value[0]} {value[1] or '.'}"}
    return {"type": rtype, "text": str(value)}


def convert(suite):
    scenarios = []
    with open(suite + ".yml", encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            records = []
            for domain, entries in (doc.get("zonedata") or {}).items():
                for entry in entries:
                    records.append(dict(domain=domain.lower(), **zone_entry(entry)))
            tests = []
            for name, t in doc["tests"].items():
                identity = t.get("mailfrom") or t.get("helo") or ""
                test = {"name": name, "result": results(t["result"]),
                        "spec": results(t.get("spec", [])), "host": t["host"],
                        "mailfrom": t.get("mailfrom") or "", "helo": t.get("helo") or ""}
                if "explanation" in t:
                    test["explanation"] = t["explanation"]
                if "permerror" in test["result"] and name in SYNTAX_ERRORS:
                    test["syntax_error_domain"] = (
                        SYNTAX_ERRORS[name] or identity.rsplit("@", 1)[-1]).lower()
                tests.append(test)
            scenarios.append({"description": doc["description"], "records": records,
                              "tests": tests})
    os.makedirs("seeds", exist_ok=True)
    for n, scenario in enumerate(scenarios):
        with open(f"seeds/{suite}-{n:02}", "w", encoding="utf-8") as f:
            f.writelines(r["text"] + "\n" for r in scenario["records"]
                         if r["type"] in ("TXT", "SPF") and "none" not in r)
    with open(suite + ".json", "w", encoding="utf-8") as f:
        json.dump({"suite": suite, "scenarios": scenarios}, f, indent=1)
        f.write("\n")


for suite in ("rfc7208-tests", "rfc4408-tests"):
    convert(suite)

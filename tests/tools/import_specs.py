#!/usr/bin/env python3
"""Import the facts of upstream command specs into commands/, with the project's own prose.

Usage:
    python3 tests/tools/import_specs.py --upstream DIR --summaries FILE.tsv [--out commands] NAME...

For each NAME (`GET`, `CLIENT|LIST`), reads DIR/<name>.json (upstream Redis/Valkey schema)
and writes commands/<name>.json with only the facts the build uses: group, since, arity,
container, flags, ACL categories, tips, key specs (without their `notes`), doc flags,
deprecation, and the argument grammar (name, type, token, optional, multiple,
multiple_token, since, display, key_spec_index, deprecated_since, nested arguments).
Upstream prose (summary, complexity, history, reply schemas, notes, argument
descriptions) is dropped; `summary` and `complexity` come from FILE.tsv (lines of
NAME<TAB>summary<TAB>complexity), written by the project. An existing file is left alone.
"""

import argparse
import json
import os
import sys

COMMAND_KEYS = ["since", "summary", "complexity", "group", "deprecated_since", "replaced_by", "doc_flags",
                "arity", "container", "command_flags", "acl_categories", "command_tips", "key_specs", "arguments"]
ARG_KEYS = ["name", "type", "token", "display", "key_spec_index", "since", "deprecated_since", "optional",
            "multiple", "multiple_token", "arguments"]
KEY_SPEC_KEYS = ["flags", "begin_search", "find_keys"]


def arg(a):
    out = {}
    for k in ARG_KEYS:
        if k in a:
            out[k] = [arg(x) for x in a[k]] if k == "arguments" else a[k]
            if a[k] in ("true", "false") and k in ("optional", "multiple", "multiple_token"):
                out[k] = a[k] == "true"
    return out


def command(body, summary, complexity):
    out = {}
    for k in COMMAND_KEYS:
        if k == "summary":
            out[k] = summary
        elif k == "complexity":
            out[k] = complexity
        elif k == "key_specs" and k in body:
            out[k] = [{x: ks[x] for x in KEY_SPEC_KEYS if x in ks} for ks in body[k]]
        elif k == "arguments" and k in body:
            out[k] = [arg(a) for a in body[k]]
        elif k in body:
            out[k] = body[k]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--summaries", required=True)
    ap.add_argument("--out", default="commands")
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    prose = {}
    for line in open(a.summaries, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) == 3:
            prose[f[0].upper()] = (f[1], f[2])
    for name in a.names:
        file = name.lower().replace("|", "-") + ".json"
        dest = os.path.join(a.out, file)
        if os.path.exists(dest):
            continue
        if name.upper() not in prose:
            sys.exit(f"{name}: no summary in {a.summaries}")
        with open(os.path.join(a.upstream, file), encoding="utf-8") as fh:
            up = json.load(fh)
        ((key, body),) = up.items()
        s, c = prose[name.upper()]
        with open(dest, "w", encoding="utf-8") as fh:
            json.dump({key: command(body, s, c)}, fh, indent=4, ensure_ascii=False)
            fh.write("\n")


if __name__ == "__main__":
    main()

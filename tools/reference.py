#!/usr/bin/env python3
"""Copy facts from the openly licensed reference data into the catalogue.

Contributor tool, not part of the build (needs PyYAML). The reference folder is
`../shared/reference` beside the checkout unless STACKATLAS_REFERENCE says otherwise.

  tools/reference.py identifiers PRODUCT   print the identifiers block for an
                                           endoflife.date product, as JSON
  tools/reference.py linguist NAME         print the Linguist entry for a language
  tools/reference.py lifecycle             write data/lifecycle/<product>.json for
                                           every product a technology names
"""
import json
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("STACKATLAS_REFERENCE", ROOT.parent / "shared" / "reference"))


def endoflife(product):
    path = REFERENCE / "endoflife" / f"{product}.yml"
    with open(path) as f:
        text = f.read()
    # The files are front matter: YAML between '---' lines or the whole file.
    docs = [d for d in yaml.safe_load_all(text) if d]
    return docs[0]


def identifiers(product):
    doc = endoflife(product)
    out = {"purl": [], "cpe": [], "repology": [], "endoflife": product}
    for ident in doc.get("identifiers") or []:
        for key, value in ident.items():
            if key in ("purl", "cpe", "repology"):
                out[key].append(str(value))
    return {k: v for k, v in out.items() if v}


def iso(value):
    if value is None or value is False or value is True:
        return None
    return str(value)


def snapshot_date():
    """The date of the endoflife.date snapshot, from the reference README's table."""
    import re
    with open(REFERENCE / "README.md") as f:
        for line in f:
            if line.startswith("| endoflife/"):
                found = re.search(r"\((\d{4}-\d{2}-\d{2})\)", line)
                if found:
                    return found.group(1)
    sys.exit("cannot find the endoflife.date snapshot date in the reference README")


def lifecycle(product):
    doc = endoflife(product)
    cycles = []
    for rel in doc.get("releases") or []:
        cycle = {"cycle": str(rel["releaseCycle"])}
        if rel.get("codename"):
            cycle["codename"] = str(rel["codename"])
        cycle["release_date"] = iso(rel.get("releaseDate"))
        for src, dst in (("lts", "lts"), ("eoas", "end_of_active_support"),
                         ("eol", "end_of_life"), ("eoes", "end_of_extended_support")):
            value = rel.get(src)
            if value is True or value is False:
                cycle[dst] = value
            elif value is not None:
                cycle[dst] = iso(value)
        if rel.get("latest") is not None:
            cycle["latest"] = str(rel["latest"])
        if rel.get("latestReleaseDate") is not None:
            cycle["latest_release_date"] = iso(rel["latestReleaseDate"])
        cycles.append({k: v for k, v in cycle.items() if v is not None})
    return {"product": product, "title": doc.get("title"), "as_of": snapshot_date(), "releases": cycles}


def linguist(name):
    with open(REFERENCE / "linguist" / "languages.yml") as f:
        langs = yaml.safe_load(f)
    entry = langs.get(name)
    if entry is None:
        sys.exit(f"no Linguist language named {name!r}")
    return {"name": name, **{k: entry[k] for k in ("type", "aliases", "language_id") if k in entry}}


def main(argv):
    if len(argv) >= 3 and argv[1] == "identifiers":
        print(json.dumps(identifiers(argv[2]), indent=2))
    elif len(argv) >= 3 and argv[1] == "linguist":
        print(json.dumps(linguist(argv[2]), indent=2))
    elif len(argv) == 2 and argv[1] == "lifecycle":
        out_dir = ROOT / "data" / "lifecycle"
        out_dir.mkdir(exist_ok=True)
        wanted = set()
        for path in sorted((ROOT / "data" / "technologies").glob("*.json")):
            with open(path) as f:
                product = json.load(f).get("identifiers", {}).get("endoflife")
            if product:
                wanted.add(product)
        for old in out_dir.glob("*.json"):
            if old.stem not in wanted:
                old.unlink()
        for product in sorted(wanted):
            with open(out_dir / f"{product}.json", "w") as f:
                json.dump(lifecycle(product), f, indent=2)
                f.write("\n")
        print(f"wrote {len(wanted)} lifecycle files to {out_dir}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

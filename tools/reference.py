#!/usr/bin/env python3
"""Copy facts from the openly licensed reference data into the catalogue.

Contributor tool, not part of the build (needs PyYAML). The reference folder is
`../shared/reference` beside the checkout unless STACKATLAS_REFERENCE says otherwise.

  tools/reference.py identifiers PRODUCT   print the identifiers block for an
                                           endoflife.date product, as JSON
  tools/reference.py linguist NAME         print the Linguist entry for a language

Release cycles are written by the server binary itself:
`cargo run -- --refresh-lifecycle ../shared/reference/endoflife --as-of DATE`.
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
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

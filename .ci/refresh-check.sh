#!/usr/bin/env bash
# The committed data/ is what the refresh command makes of the reference copy of
# endoflife.date's data (../shared/reference): run it on a copy and fail on any change.
set -euo pipefail
cd "$(dirname "$0")/.."
reference=../shared/reference
if [ ! -d "$reference/endoflife" ]; then
  echo "SKIPPED: $reference/endoflife is absent; the refresh check did not run"
  exit 0
fi
as_of=$(grep -m1 '^| endoflife/' "$reference/README.md" | grep -o '([0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\})' | tr -d '()')
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r data/. "$copy/"
cargo run --quiet -- --data-dir "$copy" --refresh-lifecycle "$reference/endoflife" --as-of "$as_of"
if ! diff -r data "$copy" >/dev/null; then
  diff -r data "$copy" | head -40
  echo "data/ would change: run cargo run -- --refresh-lifecycle $reference/endoflife --as-of $as_of and commit the result"
  exit 1
fi
echo "data/ is what the refresh makes of the reference (as of $as_of)"

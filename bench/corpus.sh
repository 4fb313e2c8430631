#!/usr/bin/env bash
# Build the benchmark corpus: real Python code from pinned package versions, installed with
# `pip install --no-deps --target` (wheels only, no build step, no byte-compiling).
#
#   bash bench/corpus.sh            # -> bench/.work/corpus/ (skipped when already complete)
#   bash bench/corpus.sh --force    # rebuild from scratch
#   CORPUS=/some/dir bash bench/corpus.sh
#
# The same pins give the same files: the corpus is reproducible, and its manifest
# (bench/.work/corpus/.bench-corpus) records the pins it was built from.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
CORPUS="${CORPUS:-$HERE/.work/corpus}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

# Pinned: change a pin and the numbers are no longer comparable with older results.
PINS=(
  django==5.2.19
  botocore==1.44.5
  boto3==1.44.5
  celery==5.7.0
  kombu==5.7.0
  requests==2.34.2
  httpx==0.28.1
  sentry-sdk==2.75.0
  sqlalchemy==2.1.9
  flask==3.1.3
  werkzeug==3.1.9
  fastapi==0.163.2
  starlette==1.10.0
  aiohttp==3.14.5
  grpcio==1.85.1
  tenacity==9.2.1
  urllib3==2.8.0
  pydantic==2.14.3
  redis==8.1.0
  tornado==6.6.1
  slack-sdk==3.47.0
  httpcore==1.0.9
  anyio==4.16.0
)

STAMP="$CORPUS/.bench-corpus"
WANT="$(printf '%s\n' "${PINS[@]}")"

if [ "${1:-}" != "--force" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  echo "corpus: $CORPUS is up to date (bash bench/corpus.sh --force rebuilds it)"
else
  rm -rf "$CORPUS"
  mkdir -p "$CORPUS"
  echo "corpus: installing ${#PINS[@]} packages into $CORPUS"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
    --only-binary=:all: --target "$CORPUS" "${PINS[@]}" 2> >(grep -v 'is ignored: it is neither' >&2)
  # Console scripts and package metadata are not part of the code under test.
  rm -rf "$CORPUS/bin"
  # Semgrep falls back to a built-in ignore list (tests/, test/, build/, ...) when the scanned
  # folder has no .semgrepignore; an explicit one makes both tools see the same files
  # (django/test/ would otherwise be skipped by semgrep only).
  printf '# benchmark corpus: scan everything (see bench/README.md)\n' > "$CORPUS/.semgrepignore"
  printf '%s\n' "$WANT" > "$STAMP"
fi

# Counts: every .py file, and the lines in them.
find "$CORPUS" -name '*.py' -type f -print0 | xargs -0 cat | wc -l | {
  read -r lines
  files="$(find "$CORPUS" -name '*.py' -type f | wc -l)"
  echo "corpus: $files .py files, $lines lines in $CORPUS"
}

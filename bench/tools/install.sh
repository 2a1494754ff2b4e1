#!/bin/sh
# Installs the pinned peers and load tools the side-by-side benchmarks run
# (never @latest): into bench/tools/bin, which bench/*.py look in; Debian's
# redis-server; and the `bench` dependency group (Celery, the redis client) into
# the project's environment, beside the dev group (never a product dependency).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export GOBIN="$here/bin"
mkdir -p "$GOBIN"
[ -x "$GOBIN/centrifugo" ] || go install github.com/centrifugal/centrifugo/v6@v6.9.1
[ -x "$GOBIN/vegeta" ] || go install github.com/tsenart/vegeta/v12@v12.12.0
(cd "$here/wsload" && go build -o "$GOBIN/wsload" .)
if ! command -v redis-server >/dev/null 2>&1; then
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  # The package's own service is not what the benchmark runs: it starts its own.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
# --inexact: add the group to the environment without removing anything. uv run
# names its own binary in $UV (the smoke tests run this script under uv run).
(cd "$here/../.." && "${UV:-uv}" sync --frozen --inexact --quiet --group bench)

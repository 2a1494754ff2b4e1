#!/bin/sh
# Installs the pinned peers and load tools the side-by-side benchmarks run
# (never @latest): into bench/tools/bin, which bench/*.py look in.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export GOBIN="$here/bin"
mkdir -p "$GOBIN"
[ -x "$GOBIN/centrifugo" ] || go install github.com/centrifugal/centrifugo/v6@v6.9.1
[ -x "$GOBIN/vegeta" ] || go install github.com/tsenart/vegeta/v12@v12.12.0
(cd "$here/wsload" && go build -o "$GOBIN/wsload" .)

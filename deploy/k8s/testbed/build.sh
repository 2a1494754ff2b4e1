#!/usr/bin/env bash
# Builds the Kubernetes control plane that tests/e2e/kubernetes runs the manifests
# against (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl at
# v1.36.3, etcd v3.6.16) and its one real node (kubelet and kube-proxy v1.36.3, CoreDNS v1.14.7,
# crictl v1.37.0 and the sandbox program of pause/) from the Go module proxy, with
# the prometheus-operator CRDs that the monitoring component's objects need (from
# the same proxy: the operator's module ships them), and prints their directory.
#
# The binaries are kept outside the clone, under a name made of the pinned go.sum
# files, so a machine builds them once (about 8 minutes cold on 2 cores); the Go
# module and build caches are reused as well when a pin changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
stamp="$(cat "$here/kube/go.sum" "$here/etcd/go.sum" "$here/build.sh" "$here/pause/main.go" |
  sha256sum | cut -c1-12)"
out="${KUBE_TESTBED_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenant-platform/kube-testbed-$stamp}"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy etcd coredns crictl pause)
PROMETHEUS_OPERATOR=github.com/prometheus-operator/prometheus-operator@v0.85.0
# Plain modules without replace directives: `go install` builds them at a pin.
COREDNS=github.com/coredns/coredns@v1.14.7
CRICTL=sigs.k8s.io/cri-tools/cmd/crictl@v1.37.0

complete() {
  for b in "${binaries[@]}"; do [ -x "$out/$b" ] || return 1; done
  [ -d "$out/crds" ]
}

if ! complete; then
  command -v go >/dev/null || { echo "build.sh: Go is needed to build the testbed" >&2; exit 1; }
  mkdir -p "$out.partial"
  # -trimpath and no VCS stamping: the same pins give the same binaries anywhere.
  # The version the release build stamps in (what /version and kubectl report).
  version="-X k8s.io/component-base/version.gitVersion=v1.36.3"
  version+=" -X k8s.io/component-base/version.gitMajor=1"
  version+=" -X k8s.io/component-base/version.gitMinor=36"
  version+=" -X k8s.io/client-go/pkg/version.gitVersion=v1.36.3"
  flags=(-trimpath -buildvcs=false "-ldflags=-s -w $version")
  (cd "$here/kube" &&
    go build "${flags[@]}" -o "$out.partial/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl \
      k8s.io/kubernetes/cmd/kubelet \
      k8s.io/kubernetes/cmd/kube-proxy) >&2
  (cd "$here/etcd" && go build "${flags[@]}" -o "$out.partial/etcd" go.etcd.io/etcd/server/v3) >&2
  # Static binaries: the sandbox image holds nothing but the pause program.
  (cd "$here/pause" && CGO_ENABLED=0 go build "${flags[@]}" -o "$out.partial/pause" .) >&2
  for module in "$COREDNS" "$CRICTL"; do  # one module per `go install`
    (cd "$(mktemp -d)" && CGO_ENABLED=0 GOBIN="$out.partial" \
      go install -trimpath -buildvcs=false -ldflags="-s -w" "$module") >&2
  done
  operator="$(cd "$(mktemp -d)" && go mod download -json "$PROMETHEUS_OPERATOR" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  mkdir -p "$out.partial/crds"
  for kind in servicemonitors prometheusrules; do
    cp "$operator/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml" \
      "$out.partial/crds/"
  done
  rm -rf "$out" && mv "$out.partial" "$out"
fi
echo "$out"

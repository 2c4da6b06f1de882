#!/usr/bin/env bash
# dev.sh - `make dev`: a local control plane with six kwok container instances in three
# zones (two instance types) for cluster `default`, the CRDs, the examples, and the
# operator in the foreground. Ctrl-C stops the operator and everything this started.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"
export KUBEBUILDER_ASSETS="${KUBEBUILDER_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/ecs-operator/k8s-v1.34.4}"
STATE_DIR="${STATE_DIR:-$ROOT/.cluster}"
export STATE_DIR
KUBECTL="$KUBEBUILDER_ASSETS/kubectl --kubeconfig $STATE_DIR/kubeconfig"

cargo build --quiet
started_plane=0
if ! "$HERE/control-plane.sh" status >/dev/null 2>&1; then
	"$HERE/control-plane.sh" up
	started_plane=1
fi
stop() {
	[ "$started_plane" = 1 ] && "$HERE/control-plane.sh" down
}
trap stop EXIT
trap 'exit 130' INT TERM

"$HERE/control-plane.sh" nodes 6 default
$KUBECTL apply --server-side --force-conflicts -f crds/ >/dev/null
$KUBECTL wait --for=condition=Established crd --all --timeout=60s >/dev/null
$KUBECTL apply --server-side -f examples/
cat <<MSG

  ecs-operator dev cluster is up. In another terminal:
    export KUBECONFIG=$STATE_DIR/kubeconfig
    kubectl get ecs,pods -o wide
    target/debug/ecs-operator instances --cluster default
  Ctrl-C stops the operator and the control plane.

MSG
# The log agent example reads the node's logs (host network and host paths): allowed here,
# refused by default (--allow-host-namespaces / --allow-host-path).
KUBECONFIG="$STATE_DIR/kubeconfig" RUST_LOG="${RUST_LOG:-info}" target/debug/ecs-operator run \
	--allow-host-namespaces --allow-host-path

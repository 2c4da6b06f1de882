#!/usr/bin/env bash
# measure-scale.sh [N] [NODES] - one measurement, not a test: on a throwaway control plane,
# scale an EcsService from 0 to N tasks (spread by zone, then instance) with the release
# operator, and report the time until all N Pods are bound and Running, and the API writes
# per task (from the API server's apiserver_request_total, by resource and verb).
set -euo pipefail
N="${1:-200}"
NODES="${2:-30}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"
cargo build --release --quiet
export STATE_DIR="$ROOT/target/measure-cluster" API_PORT=17443 CP_ETCD_PORT=13379 CP_ETCD_PEER_PORT=13380 KCM_PORT=21257 KWOK_PORT=21247
export KUBEBUILDER_ASSETS="${KUBEBUILDER_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/ecs-operator/k8s-v1.34.4}"
K="$KUBEBUILDER_ASSETS/kubectl --kubeconfig $STATE_DIR/kubeconfig"
cleanup() { [ -n "${OP:-}" ] && kill "$OP" 2>/dev/null; "$HERE/control-plane.sh" down >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$HERE/control-plane.sh" down >/dev/null 2>&1 || true
"$HERE/control-plane.sh" up 2>/dev/null
"$HERE/control-plane.sh" nodes "$NODES" bench 2>/dev/null
$K apply --server-side -f crds/ >/dev/null
$K wait --for=condition=Established crd --all >/dev/null
cat <<EOF | $K apply --server-side -f - >/dev/null
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsCluster
metadata: {name: bench}
spec: {clusterName: bench}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata: {name: web, namespace: default}
spec:
  containerDefinitions: [{name: web, image: nginx, cpu: 64, memory: 64}]
---
apiVersion: ecs.operator.dev/v1alpha1
kind: EcsService
metadata: {name: web, namespace: default}
spec:
  cluster: bench
  taskDefinition: web
  desiredCount: 0
  placementStrategy: [{type: spread, field: "attribute:ecs.availability-zone"}, {type: spread, field: instanceId}]
EOF
KUBECONFIG="$STATE_DIR/kubeconfig" RUST_LOG=warn target/release/ecs-operator run >"$STATE_DIR/operator.log" 2>&1 &
OP=$!
until $K get ecsservice web -o jsonpath='{.status.observedGeneration}' 2>/dev/null | grep -q 1; do sleep 0.1; done
writes() {
	$K get --raw /metrics | awk '/^apiserver_request_total\{/ && /verb="(POST|PUT|PATCH|DELETE)"/ {
		match($0, /resource="[^"]*"/); r = substr($0, RSTART + 10, RLENGTH - 11)
		match($0, /subresource="[^"]*"/); s = (RSTART ? "/" substr($0, RSTART + 13, RLENGTH - 14) : "")
		match($0, /verb="[^"]*"/); v = substr($0, RSTART + 6, RLENGTH - 7)
		c[v " " r s] += $NF } END { for (k in c) print k, c[k] }' | sort
}
writes >"$STATE_DIR/writes.before"
start=$(date +%s.%N)
$K patch ecsservice web --type merge -p "{\"spec\":{\"desiredCount\":$N}}" >/dev/null
bound=""
while :; do
	counts=$($K get pods -n default -l ecs.operator.dev/service=web -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{.status.phase}{"\n"}{end}')
	nb=$(grep -c '^[^ ]' <<<"$counts" || true)
	nr=$(grep -c ' Running$' <<<"$counts" || true)
	now=$(date +%s.%N)
	[ -z "$bound" ] && [ "$nb" -ge "$N" ] && bound=$(echo "$now - $start" | bc)
	[ "$nr" -ge "$N" ] && { running=$(echo "$now - $start" | bc); break; }
	sleep 0.05
done
sleep 2 # let status writes settle before counting
writes >"$STATE_DIR/writes.after"
echo "N=$N tasks on $NODES nodes: all bound after ${bound}s, all Running after ${running}s"
echo "API writes during the scale-up (all clients; kwok writes pod status):"
join -a1 -e0 -o 0,1.2,2.2 <(awk '{print $1"_"$2, $3}' "$STATE_DIR/writes.after") <(awk '{print $1"_"$2, $3}' "$STATE_DIR/writes.before") |
	awk -v n="$N" '{d = $2 - $3; if (d > 0) printf "  %-40s %6d  (%.2f per task)\n", $1, d, d / n}'

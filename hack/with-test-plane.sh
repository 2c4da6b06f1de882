#!/usr/bin/env bash
# with-test-plane.sh CMD... - start a throwaway control plane, run CMD with
# ECS_TEST_KUBECONFIG pointing at it, and always stop the plane (success, failure, Ctrl-C).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
export STATE_DIR="${STATE_DIR:-$ROOT/target/test-cluster}"
export API_PORT="${API_PORT:-16443}" CP_ETCD_PORT="${CP_ETCD_PORT:-12379}" CP_ETCD_PEER_PORT="${CP_ETCD_PEER_PORT:-12380}"
export KCM_PORT="${KCM_PORT:-20257}" SCHED_PORT="${SCHED_PORT:-20259}" KWOK_PORT="${KWOK_PORT:-20247}"
export KUBEBUILDER_ASSETS="${KUBEBUILDER_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/ecs-operator/k8s-v1.34.4}"
export COMPONENTS="${COMPONENTS:-etcd kube-apiserver kube-controller-manager kwok}"

stop() { "$HERE/control-plane.sh" down || true; }
trap stop EXIT
trap 'exit 130' INT TERM
# A plane left over by a killed run is replaced, never reused: every run starts clean.
"$HERE/control-plane.sh" down >/dev/null 2>&1 || true
"$HERE/control-plane.sh" up
export ECS_TEST_KUBECONFIG="$STATE_DIR/kubeconfig"
export ECS_TEST_USER_TOKEN_FILE="$STATE_DIR/pki/user.token"
"$@"

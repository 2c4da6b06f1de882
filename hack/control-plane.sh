#!/usr/bin/env bash
# control-plane.sh - a real, loopback-only Kubernetes control plane for tests and `make dev`:
# etcd + kube-apiserver + kube-controller-manager + kwok (fake kubelets for every node
# annotated kwok.x-k8s.io/node=fake; remove the annotation to disconnect its "agent"), optionally
# kube-scheduler. Binaries come from hack/build-kube-bins.sh (cached per user).
#
#   control-plane.sh up          start (idempotent: a running plane is reused, a stale one replaced)
#   control-plane.sh down        stop exactly what `up` started, by recorded PID
#   control-plane.sh status      show the recorded processes
#   control-plane.sh nodes N [CLUSTER]  create N kwok container instances in 3 zones
#   control-plane.sh env         print `export KUBECONFIG=...`
#   control-plane.sh stop NAME   stop one running component (etcd, kube-apiserver, ...), keeping
#                                its state (etcd data stays): fault injection in tests
#   control-plane.sh start NAME  start a component `stop` stopped, with the same flags
#   control-plane.sh restart NAME  stop, then start
#
# Env: KUBEBUILDER_ASSETS (binaries; default the build cache), STATE_DIR (default .cluster),
#   API_PORT=6443 CP_ETCD_PORT=2379 CP_ETCD_PEER_PORT=2380 KCM_PORT=10257 SCHED_PORT=10259
#   COMPONENTS="etcd kube-apiserver kube-controller-manager kwok" (+ kube-scheduler)
#   READY_TIMEOUT=120. No ETCD_* names on purpose: etcd reads ETCD_<FLAG> variables as flags.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"
BIN_DIR="${KUBEBUILDER_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/ecs-operator/k8s-$KUBE_VERSION}"
STATE_DIR="${STATE_DIR:-$ROOT/.cluster}"
COMPONENTS="${COMPONENTS:-etcd kube-apiserver kube-controller-manager kwok}"
API_PORT="${API_PORT:-6443}"
CP_ETCD_PORT="${CP_ETCD_PORT:-2379}"
CP_ETCD_PEER_PORT="${CP_ETCD_PEER_PORT:-2380}"
KCM_PORT="${KCM_PORT:-10257}"
SCHED_PORT="${SCHED_PORT:-10259}"
KWOK_PORT="${KWOK_PORT:-10247}"
SERVICE_CIDR="${SERVICE_CIDR:-10.96.0.0/16}"
SERVICE_IP="${SERVICE_IP:-10.96.0.1}"
READY_TIMEOUT="${READY_TIMEOUT:-120}"
HOST=127.0.0.1

PKI="$STATE_DIR/pki"
LOGS="$STATE_DIR/logs"
PIDS="$STATE_DIR/pids"
KUBECONFIG_OUT="$STATE_DIR/kubeconfig"

log() { printf '[control-plane] %s\n' "$*" >&2; }
die() { printf '[control-plane] error: %s\n' "$*" >&2; exit 1; }
want() { case " $COMPONENTS " in *" $1 "*) return 0 ;; esac; return 1; }
bin() {
	[ -x "$BIN_DIR/$1" ] || die "$1 not found in $BIN_DIR (run 'make kube-bins' or set KUBEBUILDER_ASSETS)"
	printf '%s\n' "$BIN_DIR/$1"
}

# ------------------------------------------------------------------------ PKI
gen_pki() {
	[ -f "$PKI/tokens.csv" ] && return 0
	mkdir -p "$PKI"
	log "generating PKI in $PKI"
	local ec=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
	openssl genpkey "${ec[@]}" -out "$PKI/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$PKI/ca.key" -sha256 -days 3650 -subj "/CN=ecs-operator-test-ca" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
		-addext "subjectKeyIdentifier=hash" -out "$PKI/ca.crt"
	# Serving certificate: v3 with SANs (rustls rejects a certificate without them).
	openssl genpkey "${ec[@]}" -out "$PKI/apiserver.key" 2>/dev/null
	openssl req -new -key "$PKI/apiserver.key" -subj "/CN=kube-apiserver" -out "$PKI/apiserver.csr"
	cat >"$PKI/apiserver.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
EOF
	openssl x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
		-CAcreateserial -days 3650 -sha256 -extfile "$PKI/apiserver.ext" -out "$PKI/apiserver.crt" 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
	openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
	# Static bearer tokens (token,user,uid,"groups"): an admin for setup, and a plain user
	# with no groups that tests bind with RBAC to prove least privilege.
	openssl rand -hex 24 >"$PKI/admin.token"
	openssl rand -hex 24 >"$PKI/user.token"
	{
		printf '%s,admin,admin-uid,"system:masters"\n' "$(cat "$PKI/admin.token")"
		printf '%s,ecs-test-user,ecs-test-user-uid\n' "$(cat "$PKI/user.token")"
	} >"$PKI/tokens.csv"
	chmod 600 "$PKI"/*.key "$PKI/tokens.csv" "$PKI"/*.token
}

write_kubeconfig() {
	cat >"$KUBECONFIG_OUT" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ecs-operator-local
  cluster:
    server: https://$HOST:$API_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: admin
  user:
    token: $(cat "$PKI/admin.token")
contexts:
- name: ecs-operator-local
  context:
    cluster: ecs-operator-local
    user: admin
    namespace: default
current-context: ecs-operator-local
EOF
	chmod 600 "$KUBECONFIG_OUT"
}

# ------------------------------------------------------------------ processes
spawn() { # name binary args...
	local name="$1"
	shift
	log "starting $name"
	# setsid: its own process group, so Ctrl-C in a caller's terminal does not reach it
	# before `down` stops it in order.
	setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
	echo "$name $! $1" >>"$PIDS"
}

wait_for() { # description url [curl args...]
	local what="$1" url="$2" i
	shift 2
	for ((i = 0; i < READY_TIMEOUT * 4; i++)); do
		if curl -fsS --max-time 2 "$@" "$url" >/dev/null 2>&1; then
			log "$what is ready"
			return 0
		fi
		sleep 0.25
	done
	die "$what not ready after ${READY_TIMEOUT}s; see $LOGS/"
}

api() { # method path [curl args...]
	local method="$1" path="$2"
	shift 2
	curl -sS --cacert "$PKI/ca.crt" -H "Authorization: Bearer $(cat "$PKI/admin.token")" \
		-X "$method" "https://$HOST:$API_PORT$path" "$@"
}

# Is the recorded PID still the process we started (not a recycled PID)?
ours() { # pid binary
	[ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$2"
}

start_etcd() {
	spawn etcd "$(bin etcd)" \
		--name=local --data-dir="$STATE_DIR/etcd-data" \
		--listen-client-urls="http://$HOST:$CP_ETCD_PORT" --advertise-client-urls="http://$HOST:$CP_ETCD_PORT" \
		--listen-peer-urls="http://$HOST:$CP_ETCD_PEER_PORT" --initial-advertise-peer-urls="http://$HOST:$CP_ETCD_PEER_PORT" \
		--initial-cluster="local=http://$HOST:$CP_ETCD_PEER_PORT" \
		--listen-metrics-urls="" --unsafe-no-fsync=true --quota-backend-bytes=4294967296
	wait_for etcd "http://$HOST:$CP_ETCD_PORT/health"
}

start_apiserver() {
	local args=(
		--etcd-servers="http://$HOST:$CP_ETCD_PORT"
		--bind-address="$HOST" --advertise-address="$HOST"
		--endpoint-reconciler-type=none
		--secure-port="$API_PORT"
		--tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key"
		--client-ca-file="$PKI/ca.crt"
		--token-auth-file="$PKI/tokens.csv"
		--service-account-issuer="https://kubernetes.default.svc"
		--service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key"
		--service-cluster-ip-range="$SERVICE_CIDR"
		--authorization-mode=Node,RBAC
		--allow-privileged=true
		--cert-dir="$STATE_DIR/apiserver-certs"
		--profiling=false
		--v="${APISERVER_V:-1}"
	)
	want kube-controller-manager || args+=(--disable-admission-plugins=ServiceAccount)
	# shellcheck disable=SC2086 # *_EXTRA_ARGS word-split on purpose
	spawn kube-apiserver "$(bin kube-apiserver)" "${args[@]}" ${APISERVER_EXTRA_ARGS:-}
	wait_for kube-apiserver "https://$HOST:$API_PORT/readyz" --cacert "$PKI/ca.crt" \
		-H "Authorization: Bearer $(cat "$PKI/admin.token")"
}

start_kcm() {
	# shellcheck disable=SC2086
	spawn kube-controller-manager "$(bin kube-controller-manager)" \
		--kubeconfig="$KUBECONFIG_OUT" \
		--authentication-kubeconfig="$KUBECONFIG_OUT" --authorization-kubeconfig="$KUBECONFIG_OUT" \
		--bind-address="$HOST" --secure-port="$KCM_PORT" \
		--leader-elect=false --use-service-account-credentials=false \
		--service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
		--cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
		--v="${KCM_V:-1}" ${KCM_EXTRA_ARGS:-}
	wait_for kube-controller-manager "https://$HOST:$KCM_PORT/healthz" -k
}

start_scheduler() {
	# shellcheck disable=SC2086
	spawn kube-scheduler "$(bin kube-scheduler)" \
		--kubeconfig="$KUBECONFIG_OUT" \
		--authentication-kubeconfig="$KUBECONFIG_OUT" --authorization-kubeconfig="$KUBECONFIG_OUT" \
		--bind-address="$HOST" --secure-port="$SCHED_PORT" --leader-elect=false \
		--v="${SCHED_V:-1}" ${SCHED_EXTRA_ARGS:-}
	wait_for kube-scheduler "https://$HOST:$SCHED_PORT/healthz" -k
}

start_kwok() {
	# kwok >= v0.8.0 has no built-in stages; build-kube-bins.sh extracts upstream's "fast" ones.
	# shellcheck disable=SC2086
	spawn kwok "$(bin kwok)" \
		--kubeconfig="$KUBECONFIG_OUT" --config="$BIN_DIR/kwok-stages.yaml" \
		--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --node-ip=10.240.0.1 --cidr=10.244.0.0/16 \
		--server-address="$HOST:$KWOK_PORT" \
		--node-lease-duration-seconds=40 ${KWOK_EXTRA_ARGS:-}
	wait_for kwok "http://$HOST:$KWOK_PORT/healthz"
}

# A port already taken (another plane, another program) would make a component fail to
# bind while a health check answered by the other one passes: refuse up front.
port_free() { ! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
check_ports() {
	local p
	for p in "$CP_ETCD_PORT" "$CP_ETCD_PEER_PORT" "$API_PORT" "$KCM_PORT" "$KWOK_PORT"; do
		port_free "$p" || die "port $p on $HOST is in use (another control plane? set API_PORT/CP_ETCD_PORT/... or STATE_DIR)"
	done
}

all_alive() {
	local name pid binary
	[ -s "$PIDS" ] || return 1
	while read -r name pid binary; do
		ours "$pid" "$binary" || return 1
	done <"$PIDS"
}

# ---------------------------------------------------------------------- verbs
cmd_up() {
	command -v openssl >/dev/null || die "openssl missing"
	command -v curl >/dev/null || die "curl missing"
	if all_alive; then
		log "already running (state in $STATE_DIR)"
		return 0
	fi
	if [ -s "$PIDS" ]; then
		log "stale state in $STATE_DIR (a process died); restarting cleanly"
		cmd_down
	fi
	check_ports
	mkdir -p "$STATE_DIR" "$LOGS"
	rm -rf "$STATE_DIR/etcd-data"
	: >"$PIDS"
	gen_pki
	write_kubeconfig
	# A failure half-way leaves nothing running behind.
	trap 'cmd_down; exit 1' ERR
	want etcd && start_etcd
	want kube-apiserver && start_apiserver
	want kube-controller-manager && start_kcm
	want kube-scheduler && start_scheduler
	want kwok && start_kwok
	trap - ERR
	log "up: export KUBECONFIG=$KUBECONFIG_OUT"
}

cmd_down() {
	[ -f "$PIDS" ] || { log "nothing to stop in $STATE_DIR"; return 0; }
	local name pid binary i
	# Reverse start order, and only processes that are still the ones we started.
	tac "$PIDS" | while read -r name pid binary; do
		if ours "$pid" "$binary"; then
			log "stopping $name ($pid)"
			kill "$pid" 2>/dev/null || true
			for ((i = 0; i < 40; i++)); do ours "$pid" "$binary" || break; sleep 0.25; done
			if ours "$pid" "$binary"; then kill -9 "$pid" 2>/dev/null || true; fi
		fi
	done
	rm -f "$PIDS"
	rm -rf "$STATE_DIR/etcd-data"
}

cmd_status() {
	[ -s "$PIDS" ] || { echo "not running"; return 1; }
	local name pid binary rc=0
	while read -r name pid binary; do
		if ours "$pid" "$binary"; then echo "$name $pid running"; else echo "$name $pid DEAD"; rc=1; fi
	done <"$PIDS"
	return $rc
}

# N container instances spread over three zones, two instance types, labeled for CLUSTER.
cmd_nodes() {
	local n="${1:-6}" cluster="${2:-default}" i name zone itype cpu mem code
	local zones=(local-1a local-1b local-1c)
	for ((i = 0; i < n; i++)); do
		name="ecs-$cluster-$i"
		zone="${zones[$((i % 3))]}"
		if ((i % 2 == 0)); then itype=m5.large; cpu=2; mem=8Gi; else itype=c5.xlarge; cpu=4; mem=8Gi; fi
		code="$(api POST /api/v1/nodes -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d @- <<EOF
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$name",
 "labels":{"type":"kwok","kubernetes.io/hostname":"$name","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64",
  "topology.kubernetes.io/zone":"$zone","node.kubernetes.io/instance-type":"$itype","ecs.operator.dev/cluster":"$cluster"},
 "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"}},
 "status":{"allocatable":{"cpu":"$cpu","memory":"$mem","pods":"110"},"capacity":{"cpu":"$cpu","memory":"$mem","pods":"110"}}}
EOF
)"
		case "$code" in 201 | 409) ;; *) die "creating node $name: HTTP $code" ;; esac
	done
	log "$n container instances for cluster '$cluster' in ${zones[*]}"
}

# Stops one component of a running plane, by its recorded PID; its state stays.
cmd_stop() { # name
	local name="$1" pid binary i
	[ -s "$PIDS" ] || die "no plane recorded in $STATE_DIR"
	read -r _ pid binary < <(grep "^$name " "$PIDS") || die "$name is not recorded in $PIDS"
	if ours "$pid" "$binary"; then
		log "stopping $name ($pid)"
		kill "$pid" 2>/dev/null || true
		for ((i = 0; i < 40; i++)); do ours "$pid" "$binary" || break; sleep 0.25; done
		if ours "$pid" "$binary"; then kill -9 "$pid" 2>/dev/null || true; fi
	fi
	sed -i "/^$name /d" "$PIDS"
}

# Starts one component again (after `stop`), with the flags `up` uses; the previous log is kept.
cmd_start() { # name
	local name="$1" pid binary
	if read -r _ pid binary < <(grep "^$name " "$PIDS" 2>/dev/null); then
		if ours "$pid" "$binary"; then log "$name already running"; return 0; fi
		sed -i "/^$name /d" "$PIDS"
	fi
	[ -f "$LOGS/$name.log" ] && mv "$LOGS/$name.log" "$LOGS/$name.$(date +%s%N).log"
	case "$name" in
	etcd) start_etcd ;;
	kube-apiserver) start_apiserver ;;
	kube-controller-manager) start_kcm ;;
	kube-scheduler) start_scheduler ;;
	kwok) start_kwok ;;
	*) die "unknown component $name" ;;
	esac
}

case "${1:-}" in
up) cmd_up ;;
stop) cmd_stop "${2:?component}" ;;
start) cmd_start "${2:?component}" ;;
restart) cmd_stop "${2:?component}"; cmd_start "$2" ;;
down) cmd_down ;;
status) cmd_status ;;
nodes) shift; cmd_nodes "$@" ;;
env) echo "export KUBECONFIG=$KUBECONFIG_OUT" ;;
*) echo "usage: $0 up|down|status|nodes N [CLUSTER]|env|stop NAME|start NAME|restart NAME" >&2; exit 2 ;;
esac

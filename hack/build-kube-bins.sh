#!/usr/bin/env bash
# build-kube-bins.sh - build real Kubernetes control-plane binaries from the Go
# module proxy, with nothing but the `go` command (no git clone, no downloads of
# release tarballs, no containers).
#
# Output ($OUT_DIR, default ./.kube-bins/<KUBE_VERSION>):
#   kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm
#   kwok-stages.yaml (the "fast" node/pod Stage objects kwok >= v0.8.0 needs)
#   VERSIONS
# and ./.kube-bins/current -> <KUBE_VERSION>, usable as KUBEBUILDER_ASSETS.
#
# Idempotent: a binary that already exists in OUT_DIR is not rebuilt (FORCE=1 does).
# Cold build of everything on 2 cores: expect tens of minutes (estimate, not
# measured); run it in the background and watch its log.
#
# Env knobs (defaults are versions known to be served by the Go module proxy):
#   KUBE_VERSION=v1.34.4  ETCD_VERSION=v3.6.16  KWOK_VERSION=v0.8.0  HELM_VERSION=v3.19.0
#   COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm"
#   OUT_DIR, WORK_DIR (wrapper modules), FORCE=1, GOTOOLCHAIN (default local)
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${HELM_VERSION:-v3.19.0}"
COMPONENTS="${COMPONENTS:-kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm}"
ROOT_DIR="${ROOT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ecs-operator}"
OUT_DIR="${OUT_DIR:-$ROOT_DIR/k8s-$KUBE_VERSION}"
WORK_DIR="${WORK_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ecs-operator/go-work}"
FORCE="${FORCE:-0}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build-kube-bins: error: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "go not found on PATH"

# A predictable Go environment, whatever the caller exported:
export GOWORK=off                            # never pick up a go.work from the caller's tree
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"   # fail loudly instead of fetching another toolchain
export CGO_ENABLED=0                         # upstream builds these as static binaries
export GO111MODULE=on
export GOFLAGS=""                            # a caller's -mod=vendor etc. must not leak in

mkdir -p "$OUT_DIR" "$WORK_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
TMP="$(mktemp -d)"                           # an empty dir: module queries run outside any module
trap 'rm -rf "$TMP"' EXIT

want() { case " $COMPONENTS " in *" $1 "*) return 0 ;; esac; return 1; }
need() { [ "$FORCE" = 1 ] || [ ! -x "$OUT_DIR/$1" ]; }
ver_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; } # $1 >= $2
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" | head -n1; }

# ---------------------------------------------------------------- kubernetes
build_kube() {
	local c cmds=()
	for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
		if want "$c" && need "$c"; then cmds+=("$c"); fi
	done
	[ "${#cmds[@]}" -gt 0 ] || return 0

	local minor_patch="${KUBE_VERSION#v1.}"   # 34.4, 35.0-rc.1
	local staging="v0.${minor_patch}"         # staging modules are tagged v0.<minor>.<patch>
	local minor="${minor_patch%%.*}"
	local dir="$WORK_DIR/kube-$KUBE_VERSION"
	mkdir -p "$dir"

	log "fetching k8s.io/kubernetes@$KUBE_VERSION (module zip is large)"
	local upstream
	upstream="$(cd "$TMP" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | json_field GoMod)"
	[ -n "$upstream" ] && [ -f "$upstream" ] ||
		die "k8s.io/kubernetes@$KUBE_VERSION not downloadable (is that exact version served by the proxy?)"

	# Every staging module = every `k8s.io/x => ./staging/src/k8s.io/x` replace upstream.
	local staging_mods
	staging_mods="$(awk '/=>[[:space:]]*\.\/staging\/src\/k8s\.io\// { if ($1 == "replace") print $2; else print $1 }' "$upstream" | sort -u)"
	[ -n "$staging_mods" ] || die "no staging replace directives found in $upstream"
	log "staging modules: $(echo "$staging_mods" | wc -l) (mapped to $staging)"

	# go line: upstream's, but >= 1.24 because of the `tool` directive. godebug: copied,
	# since godebug lines of dependencies are ignored and only the main module's count.
	local up_go gol godebugs
	up_go="$(awk '$1 == "go" { print $2; exit }' "$upstream")"
	gol="$up_go"
	ver_ge "$gol" 1.24.0 || gol=1.24.0
	godebugs="$(awk '/^godebug[[:space:]]*\(/ { b = 1; next } b && /^\)/ { b = 0; next }
		b && NF { print "godebug " $1; next } /^godebug[[:space:]]+[^(]/ { print }' "$upstream")"

	{
		printf 'module local.invalid/kube-bins\n\ngo %s\n\n' "$gol"
		[ -z "$godebugs" ] || printf '%s\n\n' "$godebugs"
		printf 'tool (\n'
		for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
			printf '\tk8s.io/kubernetes/cmd/%s\n' "$c"
		done
		printf ')\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
		while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done <<<"$staging_mods"
		printf ')\n'
	} >"$dir/go.mod"

	# tidy resolves the graph for every GOOS (windows-only deps too); if one of those is
	# not served, the linux-only build below can still succeed with -mod=mod.
	log "go mod tidy in $dir"
	(cd "$dir" && go mod tidy) || log "WARNING: go mod tidy failed; continuing with -mod=mod"

	local date commit ldflags pkg kv
	date="$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y-%m-%dT%H:%M:%SZ)"
	commit="$(cd "$TMP" && go list -m -json "k8s.io/kubernetes@$KUBE_VERSION" 2>/dev/null | json_field Hash || true)"
	# Same variables hack/lib/version.sh sets; without them the binaries report
	# v0.0.0-master+$Format:%H$ (compat-version logic then falls back to the
	# hard-coded DefaultKubeBinaryVersion, but /version and helm's kubeVersion checks see v0.0.0).
	ldflags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		for kv in "gitVersion=$KUBE_VERSION" "gitMajor=1" "gitMinor=$minor" \
			"gitTreeState=clean" "buildDate=$date" ${commit:+"gitCommit=$commit"}; do
			ldflags+=" -X $pkg.$kv"
		done
	done

	for c in "${cmds[@]}"; do
		log "building $c $KUBE_VERSION"
		(cd "$dir" && go build -mod=mod -trimpath -tags selinux,notest \
			-ldflags "$ldflags" -o "$OUT_DIR/$c.tmp" "k8s.io/kubernetes/cmd/$c")
		mv -f "$OUT_DIR/$c.tmp" "$OUT_DIR/$c"
	done
}

# ---------------------------------------------------------------------- etcd
build_etcd() {
	want etcd && need etcd || return 0
	local dir="$WORK_DIR/etcd-$ETCD_VERSION"
	mkdir -p "$dir"
	# server/go.mod upstream has `replace go.etcd.io/etcd/api/v3 => ../api` etc., so
	# `go install go.etcd.io/etcd/server/v3@...` is refused; a wrapper module is not.
	cat >"$dir/go.mod" <<EOF
module local.invalid/etcd-bin

go 1.24.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
	cat >"$dir/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
	log "building etcd $ETCD_VERSION"
	(cd "$dir" && go mod tidy && go build -mod=mod -trimpath -ldflags "-s -w" -o "$OUT_DIR/etcd.tmp" .)
	mv -f "$OUT_DIR/etcd.tmp" "$OUT_DIR/etcd"
}

# ---------------------------------------------------------------------- kwok
build_kwok() {
	want kwok || return 0
	if need kwok; then
		# sigs.k8s.io/kwok go.mod has no replace/exclude (checked v0.7.0, v0.8.0), so
		# plain `go install` works. v0.8.0 needs go >= 1.26.0, v0.7.0 go >= 1.24.0.
		log "installing kwok $KWOK_VERSION"
		(cd "$TMP" && GOBIN="$OUT_DIR" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
	fi
	# kwok >= v0.8.0 has no built-in default stages ("no stages found" without --config);
	# take the upstream "fast" stages out of the module itself.
	local moddir f
	moddir="$(cd "$TMP" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | json_field Dir)"
	[ -d "$moddir/kustomize/stage" ] || die "kwok module dir not found"
	for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
		pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
		printf -- '---\n'
		cat "$moddir/kustomize/stage/$f"
	done >"$OUT_DIR/kwok-stages.yaml"
}

# ---------------------------------------------------------------------- helm
build_helm() {
	want helm && need helm || return 0
	local major="${HELM_VERSION%%.*}" # v3 or v4
	local mod="helm.sh/helm/$major"
	local kminor="${KUBE_VERSION#v1.}"
	kminor="${kminor%%.*}"
	# Same -X targets as helm's Makefile. Without them `helm version` says e.g. "v3.19"
	# and `helm template` (no cluster) assumes Kubernetes v1.20. -X on a symbol that does
	# not exist in a given helm release is ignored by the linker.
	local lf="-s -w -X $mod/internal/version.version=$HELM_VERSION -X $mod/internal/version.gitTreeState=clean"
	lf+=" -X $mod/pkg/chartutil.k8sVersionMajor=1 -X $mod/pkg/chartutil.k8sVersionMinor=$kminor"
	lf+=" -X $mod/pkg/lint/rules.k8sVersionMajor=1 -X $mod/pkg/lint/rules.k8sVersionMinor=$kminor"
	log "installing helm $HELM_VERSION"
	(cd "$TMP" && GOBIN="$OUT_DIR" go install -trimpath -ldflags "$lf" "$mod/cmd/helm@$HELM_VERSION")
}

log "$(go version); GOTOOLCHAIN=$GOTOOLCHAIN; out=$OUT_DIR"
build_etcd
build_kwok
build_helm
build_kube

{
	echo "kubernetes=$KUBE_VERSION"
	echo "etcd=$ETCD_VERSION"
	echo "kwok=$KWOK_VERSION"
	echo "helm=$HELM_VERSION"
	echo "go=$(go env GOVERSION)"
} >"$OUT_DIR/VERSIONS"

if [ "$OUT_DIR" = "$(cd "$ROOT_DIR" 2>/dev/null && pwd)/$KUBE_VERSION" ]; then
	ln -sfn "$KUBE_VERSION" "$ROOT_DIR/current"
fi

log "done:"
ls -la "$OUT_DIR" >&2
for c in kube-apiserver kube-controller-manager kube-scheduler; do
	[ -x "$OUT_DIR/$c" ] && "$OUT_DIR/$c" --version >&2 || true
done
[ -x "$OUT_DIR/etcd" ] && "$OUT_DIR/etcd" --version >&2 || true
log "export KUBEBUILDER_ASSETS=$OUT_DIR   # etcd + kube-apiserver + kubectl, envtest layout"

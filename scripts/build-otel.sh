#!/usr/bin/env bash
# Builds the tracing binaries the native stack runs: otelcol-tweetstack (from
# monitoring/otel-collector/builder-config.yaml) and jaeger (from monitoring/jaeger/go.mod).
#
# Output: ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/bin/NAME-<sha256 of inputs>, plus a
# symlink bin/NAME to the latest build. A binary whose inputs are unchanged is not rebuilt.
# stdout carries only the result, as shell assignments, so callers can `eval "$(scripts/build-otel.sh)"`:
#   OTELCOL_BIN=/…/bin/otelcol-tweetstack-<hash>
#   JAEGER_BIN=/…/bin/jaeger-<hash>
# Progress goes to stderr. Go's own caches (GOMODCACHE, GOCACHE) stay at Go's defaults.
set -euo pipefail
shopt -s inherit_errexit

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo_root
readonly otelcol_manifest="$repo_root/monitoring/otel-collector/builder-config.yaml"

# The builder's release line is the manifest's core line (the version of collector/service), so the
# version is written once, in the manifest.
OCB_VERSION=$(grep -oE 'go\.opentelemetry\.io/collector/service v0\.[0-9]+\.[0-9]+' "$otelcol_manifest" | cut -d' ' -f2 || true)
[[ -n $OCB_VERSION ]] || {
	printf 'build-otel: error: no "go.opentelemetry.io/collector/service v0.N.M" line in %s\n' "$otelcol_manifest" >&2
	exit 1
}
readonly OCB_VERSION
readonly jaeger_module="$repo_root/monitoring/jaeger"
readonly cache_dir="${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}"
readonly bin_dir="$cache_dir/bin"

trap 'rm -f "$bin_dir"/*.tmp.$$' EXIT

log() { printf 'build-otel: %s\n' "$*" >&2; }

# Resolved only when something has to be built, so cached binaries work without a toolchain.
find_go() {
	if command -v go >/dev/null 2>&1; then
		command -v go
	elif [[ -x /usr/local/go/bin/go ]]; then
		echo /usr/local/go/bin/go
	else
		log "error: 'go' not found on PATH or at /usr/local/go/bin/go."
		log "Install Go 1.26 or newer, as the collector modules need it (https://go.dev/doc/install: unpack the release into /usr/local/go"
		log "and add /usr/local/go/bin to PATH), or set PATH to include an existing Go installation."
		exit 127
	fi
}

# Key = sha256 over the named inputs (file contents, or literal strings prefixed with '=').
inputs_key() {
	local input
	for input in "$@"; do
		if [[ $input == =* ]]; then printf '%s\n' "${input#=}"; else cat "$input"; fi
	done | sha256sum | cut -c1-16
}

# install_binary NAME KEY BUILD_FUNCTION: builds into a temporary file unless bin/NAME-KEY exists,
# then moves it in place atomically and points the bin/NAME symlink at it.
install_binary() {
	local name=$1 key=$2 build=$3
	local target="$bin_dir/$name-$key"
	if [[ ! -x $target ]]; then
		mkdir -p "$bin_dir"
		# One build at a time per cache: parallel callers wait, then find the binary built.
		exec {lock_fd}>"$cache_dir/.build-$name.lock"
		flock "$lock_fd"
		if [[ ! -x $target ]]; then
			log "$name: building (inputs key $key)"
			local started=$SECONDS
			"$build" "$target.tmp.$$" >&2
			mv -f "$target.tmp.$$" "$target"
			log "$name: built in $((SECONDS - started))s"
		fi
		exec {lock_fd}>&-
	else
		log "$name: up to date"
	fi
	ln -sfn "$(basename "$target")" "$bin_dir/$name"
	printf '%s\n' "$target"
}

build_otelcol() {
	local output=$1 go_bin ocb_dir work_dir
	go_bin=$(find_go)
	ocb_dir="$cache_dir/tools/ocb-$OCB_VERSION"
	if [[ ! -x $ocb_dir/builder ]]; then
		log "installing go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION"
		GOBIN="$ocb_dir" "$go_bin" install "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION"
	fi
	work_dir="$cache_dir/build/otelcol-tweetstack"
	rm -rf "$work_dir"
	mkdir -p "$work_dir"
	# ocb takes any manifest key from the environment; this keeps host paths out of the manifest.
	env "dist.output_path=$work_dir" "dist.go=$go_bin" \
		"$ocb_dir/builder" --config="$otelcol_manifest" >"$work_dir.log" 2>&1 || {
		tail -n 40 "$work_dir.log" >&2
		log "otelcol-tweetstack: ocb failed, full log: $work_dir.log"
		return 1
	}
	mv -f "$work_dir/otelcol-tweetstack" "$output"
}

build_jaeger() {
	local output=$1 go_bin
	go_bin=$(find_go)
	(cd "$jaeger_module" && CGO_ENABLED=0 "$go_bin" build -trimpath -ldflags='-s -w' \
		-o "$output" github.com/jaegertracing/jaeger/cmd/jaeger)
}

otelcol_key=$(inputs_key "$otelcol_manifest" "=ocb $OCB_VERSION")
jaeger_key=$(inputs_key "$jaeger_module/go.mod" "$jaeger_module/go.sum")

otelcol_bin=$(install_binary otelcol-tweetstack "$otelcol_key" build_otelcol)
jaeger_bin=$(install_binary jaeger "$jaeger_key" build_jaeger)

printf 'OTELCOL_BIN=%s\nJAEGER_BIN=%s\n' "$otelcol_bin" "$jaeger_bin"

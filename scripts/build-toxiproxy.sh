#!/usr/bin/env bash
# Builds toxiproxy, the TCP proxy the end-to-end fault drills put between the web replicas and Redis
# to inject latency, from the version pinned in stack/toxiproxy/go.mod (a Go `tool` directive).
#
# Output: ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/bin/toxiproxy-<sha256 of go.mod and go.sum>,
# printed on stdout as TOXIPROXY_BIN=<path>; a binary whose inputs are unchanged is not rebuilt.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly module="$repo_root/stack/toxiproxy"
readonly bin_dir="${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}/bin"

key=$(cat "$module/go.mod" "$module/go.sum" | sha256sum | cut -c1-16)
readonly target="$bin_dir/toxiproxy-$key"
if [[ ! -x $target ]]; then
	go_bin=$(command -v go || echo /usr/local/go/bin/go)
	mkdir -p "$bin_dir"
	# One build at a time per cache: parallel callers wait, then find the binary built.
	exec {lock_fd}>"$bin_dir/.build-toxiproxy.lock"
	flock "$lock_fd"
	if [[ ! -x $target ]]; then
		printf 'build-toxiproxy: building (inputs key %s)\n' "$key" >&2
		(cd "$module" && CGO_ENABLED=0 "$go_bin" build -trimpath -ldflags='-s -w' \
			-o "$target.tmp.$$" github.com/Shopify/toxiproxy/v2/cmd/server) >&2
		mv -f "$target.tmp.$$" "$target"
	fi
fi
printf 'TOXIPROXY_BIN=%s\n' "$target"

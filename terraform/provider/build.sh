#!/usr/bin/env bash
# Build the kreuzwerker/docker Terraform provider from its pinned Go module and
# install it into a local filesystem mirror, so `terraform init` never needs the
# public Terraform registry (which is unreachable here).
#
#   eval "$(terraform/provider/build.sh)"     # sets TF_CLI_CONFIG_FILE
#
# Layout (outside the repo, under ${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}):
#   terraform-mirror/registry.terraform.io/kreuzwerker/docker/<VERSION>/linux_amd64/
#       terraform-provider-docker_v<VERSION>
#   terraformrc                      CLI config: mirror for kreuzwerker/docker only
#   terraform-provider-docker.stamp  hash of go.mod+go.sum+build flags of the binary
#
# The provider version comes from the require line in go.mod (single source of
# truth). A warm run (binary present, stamp matches) does not invoke go at all.
# Progress goes to stderr; stdout carries only the `export` line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${TWEETSTACK_CACHE:-$HOME/.cache/tweetstack}"
upstream_path="github.com/terraform-providers/terraform-provider-docker"
provider_addr="registry.terraform.io/kreuzwerker/docker"

die() { echo "build.sh: error: $*" >&2; exit 1; }
log() { echo "build.sh: $*" >&2; }

command -v terraform >/dev/null 2>&1 \
  || die "terraform CLI not found on PATH (needed to use the provider mirror; install Terraform >= 1.9, as versions.tf requires)"

# --- version: from the require line of go.mod, e.g. "v4.6.0+incompatible" -> 4.6.0
raw_version="$(awk -v p="$upstream_path" '
  $0 ~ /=>/ { next }                                   # skip replace lines
  { sub(/^[ \t]*require[ \t]+/, ""); sub(/^[ \t]+/, "") }
  $1 == p && $2 ~ /^v/ { print $2; exit }
' "$here/go.mod")"
[[ -n "$raw_version" ]] || die "no 'require $upstream_path vX.Y.Z' line in $here/go.mod"
version="${raw_version#v}"
version="${version%+incompatible}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] \
  || die "provider version '$raw_version' in go.mod is not vMAJOR.MINOR.PATCH[+incompatible]"

goos=linux goarch=amd64
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) die "only linux_amd64 is supported, this is $(uname -s)/$(uname -m)" ;;
esac

mirror="$cache/terraform-mirror"
pkg_dir="$mirror/$provider_addr/$version/${goos}_${goarch}"
binary="$pkg_dir/terraform-provider-docker_v$version"
stamp="$cache/terraform-provider-docker.stamp"
rc="$cache/terraformrc"

ldflags="-s -w -X main.version=$version"
build_key="$( { cat "$here/go.mod" "$here/go.sum"; echo "ldflags=$ldflags CGO_ENABLED=0 -trimpath"; } \
  | sha256sum | cut -d' ' -f1)"

mkdir -p "$cache"

build() {
  if ! command -v go >/dev/null 2>&1; then
    if [[ -x /usr/local/go/bin/go ]]; then
      PATH="/usr/local/go/bin:$PATH"
    else
      die "go toolchain not found on PATH (needed to build the provider; go.mod wants go $(awk '$1=="go"{print $2; exit}' "$here/go.mod") or newer)"
    fi
  fi
  log "building kreuzwerker/docker $version from the Go module proxy (this takes a few minutes the first time)"
  mkdir -p "$pkg_dir"
  local tmp="$binary.tmp.$$"
  # -mod=readonly: never rewrite the committed go.mod/go.sum during a build.
  if ! (cd "$here" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOFLAGS=-mod=readonly \
        go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$tmp" "$upstream_path"); then
    rm -f "$tmp"
    die "go build of $upstream_path failed (see output above)"
  fi
  mv -f "$tmp" "$binary"
  # Only this version may live in the mirror dir, so no stale binary is picked up.
  find "$pkg_dir" -maxdepth 1 -type f -name 'terraform-provider-docker*' ! -path "$binary" -delete
  echo "$build_key" > "$stamp"
  log "installed $binary"
}

up_to_date() { [[ -x "$binary" && -f "$stamp" && "$(cat "$stamp")" == "$build_key" ]]; }

if up_to_date; then
  log "provider $version up to date: $binary"
else
  # Serialise concurrent builds (e.g. parallel test jobs) on one lock.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/terraform-provider-docker.lock"
    flock 9
  fi
  up_to_date || build
fi

# --- CLI config: this provider from the mirror, everything else as usual.
rc_text="provider_installation {
  filesystem_mirror {
    path    = \"$mirror\"
    include = [\"$provider_addr\"]
  }
  direct {
    exclude = [\"$provider_addr\"]
  }
}"
if [[ ! -f "$rc" || "$(cat "$rc")" != "$rc_text" ]]; then
  printf '%s\n' "$rc_text" > "$rc.tmp.$$"
  mv -f "$rc.tmp.$$" "$rc"
fi

printf 'export TF_CLI_CONFIG_FILE=%q\n' "$rc"

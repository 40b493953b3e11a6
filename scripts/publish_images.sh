#!/usr/bin/env bash
# Builds the images this repository makes, tags each with the release version and the commit, attaches
# an SBOM, pushes them, and prints one line per image: NAME=<registry>/<namespace>/tweetstack-NAME@sha256:...
# Run by .github/workflows/images.yml (and by tests/cicd/ under act, against a local registry).
#
#   REGISTRY=ghcr.io NAMESPACE=owner VERSION=v1.2.0 COMMIT=<sha> scripts/publish_images.sh [NAME...]
#
# NAME is one of ALL below (IMAGES, or all, by default). Build arguments come from
# versions.env and ports.env, the files Compose and Terraform read: no version is written here.
# SBOM=syft (default) writes <name>.spdx.json with syft (SYFT, default `syft` on PATH) into SBOM_DIR and
# pushes nothing else; SBOM=off skips it. EXTRA_BUILD_ARGS (KEY=VALUE lines) are added to the backup build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "publish_images.sh: error: $*" >&2; exit 1; }
: "${REGISTRY:?set REGISTRY (e.g. ghcr.io)}" "${NAMESPACE:?set NAMESPACE (e.g. the repository owner)}"
: "${VERSION:?set VERSION (the tag, or main)}" "${COMMIT:?set COMMIT (the commit SHA)}"
[[ $VERSION =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "VERSION=$VERSION is not a valid image tag"
[[ $COMMIT =~ ^[0-9a-f]{7,40}$ ]] || die "COMMIT=$COMMIT is not a commit SHA"
NAMESPACE=${NAMESPACE,,}
SBOM=${SBOM:-syft}
SBOM_DIR=${SBOM_DIR:-sbom}
[[ $SBOM == syft || $SBOM == off ]] || die "SBOM=$SBOM: use syft or off"

# name -> "context target" (the same contexts and targets as docker-compose*.yml and terraform/main.tf).
# terraform/ takes the same names in its release_images.
ALL=(web nginx postgres backup checklist otelcol mtail)
declare -A SOURCES=(
	[web]=". web" [nginx]=". nginx" [postgres]="postgres -" [backup]=". backup" [checklist]=". checklist"
	[otelcol]="monitoring/otel-collector -" [mtail]="monitoring/mtail -"
)
# IMAGES (space-separated) when no NAME is given: the workflow's repository variable, or all of them.
names=("$@")
[[ ${#names[@]} -gt 0 ]] || read -r -a names <<<"${IMAGES:-${ALL[*]}}"

build_args=()
while IFS= read -r line; do
	[[ $line =~ ^[A-Z0-9_]+=[^[:space:]]+$ ]] && build_args+=(--build-arg "$line")
done < <(cat versions.env ports.env)
while IFS= read -r line; do
	[[ -n $line ]] && build_args+=(--build-arg "$line")
done <<<"${EXTRA_BUILD_ARGS:-}"

for name in "${names[@]}"; do
	[[ -n ${SOURCES[$name]:-} ]] || die "unknown image $name (one of: ${ALL[*]})"
done

for name in "${names[@]}"; do
	read -r context target <<<"${SOURCES[$name]}"
	repository="$REGISTRY/$NAMESPACE/tweetstack-$name"
	target_flag=()
	[[ $target == - ]] || target_flag=(--target "$target")
	echo "publish_images.sh: building $repository:$VERSION" >&2
	docker buildx build --load --progress plain "${build_args[@]}" "${target_flag[@]}" \
		--label "org.opencontainers.image.version=$VERSION" --label "org.opencontainers.image.revision=$COMMIT" \
		--tag "$repository:$VERSION" --tag "$repository:$COMMIT" "$context" >&2
	docker push --quiet "$repository:$VERSION" >&2
	docker push --quiet "$repository:$COMMIT" >&2
	digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$repository:$VERSION" \
		| grep -m1 "^$repository@sha256:") || die "no digest for $repository after the push"
	if [[ $SBOM == syft ]]; then
		mkdir -p "$SBOM_DIR"
		"${SYFT:-syft}" scan "docker:$repository:$VERSION" --output "spdx-json=$SBOM_DIR/$name.spdx.json" >&2
	fi
	echo "$name=$digest"
done

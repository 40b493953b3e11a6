#!/usr/bin/env bash
# Deploys a release's images to one environment's Docker host with terraform/, then runs the production
# readiness checklist there once and fails the deploy on any FAIL. Run by .github/workflows/deploy.yml
# (and by tests/cicd/ under act, against the local Docker Engine as the staging host).
#
#   ENVIRONMENT=staging RELEASE_IMAGES='{"web": "ghcr.io/owner/tweetstack-web@sha256:..."}' \
#   TFVARS=staging.tfvars scripts/deploy.sh
#
# RELEASE_IMAGES is the JSON object of name -> digest that images.yml's build-and-push job outputs (what
# scripts/publish_images.sh printed); the same object deploys staging and then production, so production
# runs the digests staging ran, never a rebuild. Images not named are built from the checkout.
# TFVARS is the environment's settings (terraform.tfvars.example); its secrets come as TF_VAR_* variables.
# DOCKER_HOST (e.g. ssh://deploy@host) is the environment's Docker host, for Terraform and the checklist.
# State: TF_BACKEND, a Terraform backend block (e.g. `terraform { backend "s3" { ... } }`), keeps it
# off the runner; without it, it is the local file TF_STATE (default ~/.local/state/tweetstack/ENVIRONMENT.tfstate),
# which only a self-hosted runner keeps from one run to the next.
# CHECKLIST_WAIT: seconds the checklist may take to pass after the apply (default 300: replicas starting).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "deploy.sh: error: $*" >&2; exit 1; }
: "${ENVIRONMENT:?set ENVIRONMENT (staging or production)}" "${TFVARS:?set TFVARS (a tfvars file of the environment)}"
[[ $ENVIRONMENT =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "ENVIRONMENT=$ENVIRONMENT is not an environment name"
[[ -f $TFVARS ]] || die "TFVARS=$TFVARS: no such file"
CHECKLIST_WAIT=${CHECKLIST_WAIT:-300}
[[ $CHECKLIST_WAIT =~ ^[0-9]+$ ]] || die "CHECKLIST_WAIT=$CHECKLIST_WAIT is not a number of seconds"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The release as Terraform's release_images; its validation refuses a name it does not know or an
# image not pinned by digest.
release=${RELEASE_IMAGES:-"{}"}
python3 - "$release" "$work/release.tfvars.json" <<'EOF' || die "RELEASE_IMAGES is not a JSON object of name -> image"
import json, sys
images = json.loads(sys.argv[1])
assert isinstance(images, dict) and all(isinstance(value, str) for value in images.values())
json.dump({"release_images": images}, open(sys.argv[2], "w"))
EOF

[[ -z ${DOCKER_HOST:-} ]] || export TF_VAR_docker_host=$DOCKER_HOST
export TF_IN_AUTOMATION=1 TF_INPUT=0
state_args=()
if [[ -n ${TF_BACKEND:-} ]]; then
	printf '%s\n' "$TF_BACKEND" >terraform/backend_override.tf
else
	TF_STATE=${TF_STATE:-$HOME/.local/state/tweetstack/$ENVIRONMENT.tfstate}
	mkdir -p "$(dirname "$TF_STATE")"
	state_args=(-state="$TF_STATE")
fi

echo "deploy.sh: applying the release to $ENVIRONMENT" >&2
terraform -chdir=terraform init -no-color >&2
terraform -chdir=terraform apply -auto-approve -no-color \
	-var-file="$(realpath "$TFVARS")" -var-file="$work/release.tfvars.json" "${state_args[@]}" >&2

# The checklist inside the stack (its Prometheus is on the stack's internal network only), with the
# arguments the scheduled one runs with.
terraform -chdir=terraform output -no-color -json "${state_args[@]}" checklist >"$work/checklist.json"
python3 -c 'import json, sys; out = json.load(open(sys.argv[1])); print("\n".join([out["container"], *out["command"]]))' \
	"$work/checklist.json" >"$work/checklist.args"
mapfile -t checklist <"$work/checklist.args"
deadline=$((SECONDS + CHECKLIST_WAIT))
until docker exec "${checklist[@]}" >"$work/checklist.txt" 2>&1; do
	if ((SECONDS >= deadline)); then
		cat "$work/checklist.txt"
		die "the readiness checklist of $ENVIRONMENT has a FAIL (above) ${CHECKLIST_WAIT}s after the apply"
	fi
	sleep 15
done
cat "$work/checklist.txt"
echo "deploy.sh: $ENVIRONMENT runs the release and its checklist passes" >&2

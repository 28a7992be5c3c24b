#!/usr/bin/env bash
# The main job on the small example image the repository ships (fixtures/example, made by
# fixtures/scripts/make-example.sh): describe it, list and read guest files, convert it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run build
rehost() { node dist/cli/main.js "$@"; }
image=fixtures/example/debian-mini.qcow2
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
set -x
rehost inspect "$image"
rehost info "$image"
rehost ls -R -l "$image" /etc
rehost cat "$image" /etc/os-release
rehost convert "$image" "$out/debian-mini.vmdk" -O vmdk --subformat streamOptimized
rehost info "$out/debian-mini.vmdk"

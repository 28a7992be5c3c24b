#!/usr/bin/env bash
# The main job on the small example image the repository ships (fixtures/example, made by
# fixtures/scripts/make-example.sh: the skeleton of a Debian 12 guest installed on VMware,
# with a real module subset and an initramfs holding only the VMware storage drivers):
# describe it, list and read guest files, plan its move to KVM (virtio drivers to add to the
# initramfs, /dev/sda2 in fstab to replace by UUID), apply the plan into a new qcow2 backed by
# the untouched example, re-plan the result (nothing left to do), then convert it.
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
rehost plan "$image" --to kvm
rehost apply "$image" --to kvm -o "$out/debian-mini-kvm.qcow2"
rehost plan "$out/debian-mini-kvm.qcow2" --to kvm
rehost cat "$out/debian-mini-kvm.qcow2" /etc/fstab
rehost convert "$image" "$out/debian-mini.vmdk" -O vmdk --subformat streamOptimized
rehost info "$out/debian-mini.vmdk"

#!/usr/bin/env bash
# Installs the Debian tools the tests compare against (the trusted peers and fixture makers).
# Idempotent and quick when everything is present; needs root (or sudo) only when something
# is missing.
set -euo pipefail
packages=(qemu-utils ntfs-3g libhivex-bin libwin-hivex-perl e2fsprogs cpio gdisk fdisk xz-utils zstd lz4 bzip2 lvm2
  reglookup libfsntfs-utils libregf-utils libvhdi-utils jq python3-hivex kmod initramfs-tools-core fuse3 debootstrap uuid-runtime
  libguestfs-tools linux-image-amd64 rpm db5.3-util guestfs-tools chromium libxml2-utils virt-v2v nbdkit libnbd-bin xorriso genisoimage
  cryptsetup-bin dosfstools mtools)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2

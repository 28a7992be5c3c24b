#!/usr/bin/env bash
# The write path's slow suite: `rehost apply` on the VMware-built Debian lab guests
# (initramfs-tools and dracut; ../shared/guests/build-debian-guest.sh --source vmware), proven
# by real boots: test/patch/apply-boots.test.ts with REHOST_BOOT_CHECK=1 boots each guest on
# virtio-blk and virtio-scsi before (must FAIL), the `--to kvm` output on virtio-blk,
# virtio-scsi, pvscsi and ahci (must BOOT) and the `--to aws-nitro` output on nvme
# (scripts/boot-check-bus.sh), checks the source's sha256 and e2fsck -fn on the outputs.
# 14 boots under TCG (20-50 s each here): the whole suite is bounded by
# REHOST_APPLY_BOOTS_TIMEOUT (default 40 min), each boot by REHOST_BOOT_TIMEOUT (300 s).
# Uses the built CLI (dist/, made by `npm test`; built here if missing);
# REHOST_APPLY_VIA=library drives the library instead. A per-boot summary is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${REHOST_BOOTS_INNER:-} != 1 ]]; then
  # Whole-suite bound: re-run this script under timeout(1), which kills the process group.
  exec env REHOST_BOOTS_INNER=1 timeout --kill-after=30 "${REHOST_APPLY_BOOTS_TIMEOUT:-2400}" bash "$0" "$@"
fi

if ! command -v qemu-system-x86_64 >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-x86
fi
[[ -f dist/cli/main.js ]] || npm run build

LOG=${REHOST_BOOT_LOG:-$(mktemp /tmp/rehost-apply-boots.XXXXXX)}
: >"$LOG"
start=$(date +%s)
status=0
REHOST_BOOT_CHECK=1 REHOST_BOOT_LOG=$LOG REHOST_BOOT_TIMEOUT=${REHOST_BOOT_TIMEOUT:-300} \
  npx vitest run test/patch/apply-boots.test.ts "$@" || status=$?
echo "== rehost apply, real boots ($(( $(date +%s) - start )) s in all) =="
cat "$LOG"
exit "$status"

#!/usr/bin/env bash
# The slow suite: rehost's boot-storage verdicts for the three Debian lab guests (VMware
# initramfs-tools, VMware dracut, KVM initramfs-tools; ../shared/guests/build-debian-guest.sh)
# checked against real boots: test/report/lab-guest-cli.test.ts with REHOST_BOOT_CHECK=1 runs
# ../shared/guests/boot-check.sh on every cell it claims (pvscsi, ahci, ide, virtio-blk,
# virtio-scsi, lsi). Boots run under TCG here (25-50 s each), so the whole suite is bounded by
# REHOST_BOOTS_TIMEOUT (default 40 min) and each boot-check by REHOST_BOOT_TIMEOUT (300 s).
# REHOST_BOOT_BUSES="virtio-blk virtio-scsi pvscsi" boots only the decisive cells.
# A per-cell summary (BOOTED/FAILED and seconds) is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${REHOST_BOOTS_INNER:-} != 1 ]]; then
  # Whole-suite bound: re-run this script under timeout(1), which kills the process group.
  exec env REHOST_BOOTS_INNER=1 timeout --kill-after=30 "${REHOST_BOOTS_TIMEOUT:-2400}" bash "$0" "$@"
fi

if ! command -v qemu-system-x86_64 >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-x86
fi

LOG=${REHOST_BOOT_LOG:-$(mktemp /tmp/rehost-boots.XXXXXX)}
: >"$LOG"
start=$(date +%s)
status=0
REHOST_BOOT_CHECK=1 REHOST_BOOT_LOG=$LOG REHOST_BOOT_TIMEOUT=${REHOST_BOOT_TIMEOUT:-300} \
  npx vitest run test/report/lab-guest-cli.test.ts -t 'verdict matrix vs the real boots' "$@" || status=$?
echo "== real boots ($(( $(date +%s) - start )) s in all) =="
cat "$LOG"
exit "$status"

#!/usr/bin/env bash
# boot-check-bus.sh - boot-check on any storage bus rehost targets, nvme included.
#
# Usage: boot-check-bus.sh DISK --bus BUS [--append ARGS] [--timeout S] [--log FILE] [--mem MiB]
#                          [--kernel F --initrd F] [--root SPEC]
#
# Every bus but nvme is handed to ../shared/guests/boot-check.sh unchanged (same options,
# same output). nvme (AWS Nitro, GCE) is booted here the same way boot-check.sh boots the
# others: the disk opened read-only (snapshot=on) on `-device nvme,serial=rehost`, direct
# kernel boot with the newest vmlinuz-*/initrd.img-* pair read from the image's /boot with
# debugfs (no mounting), root=UUID=<the ext filesystem holding /etc/fstab>, the serial
# console watched for the guest's REHOST-BOOT-OK marker. Prints "BOOTED <s>s <marker>"
# (exit 0) or "FAILED <s>s: <reason>" with the last console lines (exit 1). QEMU is killed
# by its PID. Software emulation (TCG) unless REHOST_ACCEL=kvm. A boot that dies in the
# emulated IO-APIC timer check (host load, not the guest's drivers) is retried.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BOOT_CHECK=${REHOST_BOOT_CHECK_SCRIPT:-$HERE/../../shared/guests/boot-check.sh}

# Under software emulation on a loaded host the guest kernel's early IO-APIC timer check can
# fail ("IO-APIC + timer doesn't work!"): that says nothing about storage drivers, so such a
# boot is retried (REHOST_BOOT_RETRIES times, default 2), noted on stderr.
if [[ ${REHOST_BOOT_BUS_INNER:-} != 1 ]]; then
  tries=$(( ${REHOST_BOOT_RETRIES:-2} + 1 ))
  for ((t = 1; t <= tries; t++)); do
    set +e
    out=$(REHOST_BOOT_BUS_INNER=1 "$0" "$@")
    rc=$?
    set -e
    if [[ $rc -ne 0 && $t -lt $tries ]] && grep -q "IO-APIC + timer doesn't work" <<<"$out"; then
      echo "boot-check-bus: attempt $t hit the emulated IO-APIC timer check (host load), retrying" >&2
      continue
    fi
    printf '%s\n' "$out"
    exit $rc
  done
fi

[[ $# -ge 1 ]] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
DISK=$1; shift
BUS=
for ((i = 1; i <= $#; i++)); do
  if [[ ${!i} == --bus ]]; then j=$((i + 1)); BUS=${!j:-}; fi
done
[[ $BUS == nvme ]] || exec "$BOOT_CHECK" "$DISK" "$@"

KERNEL= INITRD= APPEND= ROOT= TIMEOUT= LOGF= MEM=1024
while [[ $# -gt 0 ]]; do
  case $1 in
    --bus) shift 2 ;;
    --kernel) KERNEL=$2; shift 2 ;;
    --initrd) INITRD=$2; shift 2 ;;
    --append) APPEND=$2; shift 2 ;;
    --root) ROOT=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --log) LOGF=$2; shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    *) echo "boot-check-bus.sh: option $1 is not supported with --bus nvme" >&2; exit 2 ;;
  esac
done
[[ -f $DISK ]] || { echo "no such disk: $DISK" >&2; exit 2; }

if [[ ${REHOST_ACCEL:-tcg} == kvm ]]; then
  ACCEL=(-accel kvm -cpu "${REHOST_QEMU_CPU:-host,-arch-capabilities}"); : "${TIMEOUT:=180}"
else
  ACCEL=(-accel tcg,thread=multi -cpu max); : "${TIMEOUT:=900}"
fi

FMT=$(qemu-img info --output=json "$DISK" | jq -r .format)
TMP=$(mktemp -d /tmp/boot-check-bus.XXXXXX)
QPID=
cleanup() {
  local rc=$?
  if [[ -n $QPID ]] && kill -0 "$QPID" 2>/dev/null; then
    kill "$QPID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QPID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$QPID" 2>/dev/null || true
    wait "$QPID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM

if [[ -z $KERNEL || -z $INITRD || -z $ROOT ]]; then
  RAW=$DISK
  if [[ $FMT != raw ]]; then RAW="$TMP/disk.raw"; qemu-img convert -O raw "$DISK" "$RAW"; fi
  # partitions as "start-byte size-byte" (whole disk when there is no table)
  if sfdisk -J "$RAW" >"$TMP/pt.json" 2>/dev/null; then
    ss=$(jq -r '.partitiontable.sectorsize // 512' "$TMP/pt.json")
    jq -r --argjson ss "$ss" '.partitiontable.partitions[] | "\(.start * $ss) \(.size * $ss)"' "$TMP/pt.json" >"$TMP/parts"
  else
    echo "0 $(stat -c %s "$RAW")" >"$TMP/parts"
  fi
  n=0
  while read -r off size; do
    n=$((n + 1)); p="$TMP/p$n.img"
    magic=$(dd if="$RAW" bs=1 iflag=skip_bytes skip=$((off + 1080)) count=2 status=none | od -An -tx1 | tr -d ' ')
    [[ $magic == 53ef ]] || continue
    dd if="$RAW" of="$p" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$size" conv=sparse status=none
    if [[ -z $ROOT ]] && debugfs -R 'stat /etc/fstab' "$p" 2>/dev/null | grep -q '^Inode:'; then
      ROOT="UUID=$(debugfs -R stats "$p" 2>/dev/null | awk -F': *' '/^Filesystem UUID/{print $2}')"
    fi
    if [[ -z $KERNEL || -z $INITRD ]]; then
      for dir in /boot /; do
        kv=$(debugfs -R "ls -p $dir" "$p" 2>/dev/null | awk -F/ '{print $6}' | sed -n 's/^vmlinuz-//p' | sort -V | tail -1)
        [[ -n $kv ]] || continue
        if debugfs -R "stat $dir/initrd.img-$kv" "$p" 2>/dev/null | grep -q '^Inode:'; then
          [[ -n $KERNEL ]] || { debugfs -R "dump $dir/vmlinuz-$kv $TMP/vmlinuz" "$p" >/dev/null 2>&1; KERNEL="$TMP/vmlinuz"; }
          [[ -n $INITRD ]] || { debugfs -R "dump $dir/initrd.img-$kv $TMP/initrd.img" "$p" >/dev/null 2>&1; INITRD="$TMP/initrd.img"; }
          break
        fi
      done
    fi
    rm -f "$p"
  done <"$TMP/parts"
  [[ $RAW == "$TMP/disk.raw" ]] && rm -f "$RAW"
  [[ -n $KERNEL && -n $INITRD ]] || { echo "FAILED could not find kernel/initrd in $DISK"; exit 1; }
  [[ -n $ROOT ]] || { echo "FAILED could not find root filesystem (with /etc/fstab) in $DISK"; exit 1; }
fi

LOGF=${LOGF:-$TMP/console.log}
: >"$LOGF"
CMDLINE="root=$ROOT ro console=ttyS0,115200n8 panic=5${APPEND:+ $APPEND}"
QEMU=(qemu-system-x86_64 -machine q35 "${ACCEL[@]}" -m "$MEM" -smp 1
      -display none -nographic -monitor none -serial "file:$LOGF" -no-reboot -nic none
      -drive "file=$DISK,format=$FMT,if=none,id=d0,snapshot=on,cache=unsafe"
      -device nvme,serial=rehost,drive=d0
      -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE")
echo "boot-check-bus: bus=nvme timeout=${TIMEOUT}s root=$ROOT log=$LOGF" >&2
start=$(date +%s%N)
"${QEMU[@]}" </dev/null >"$TMP/qemu.out" 2>&1 &
QPID=$!

FAILRE='ALERT! |Dropping to a shell|\(initramfs\) |Kernel panic|emergency shell|Entering emergency mode|You are in emergency mode|Cannot open access to console|Could not boot|Give root password for maintenance|Timed out waiting for device|Warning: /dev/.* does not exist'
result= reason=
while :; do
  if grep -aq 'REHOST-BOOT-OK' "$LOGF"; then result=BOOTED; break; fi
  if grep -aEq "$FAILRE" "$LOGF"; then
    sleep 2
    result=FAILED; reason=$(grep -aE "$FAILRE" "$LOGF" | head -1 | tr -d '\r' | cut -c1-200); break
  fi
  if ! kill -0 "$QPID" 2>/dev/null; then
    grep -aq 'REHOST-BOOT-OK' "$LOGF" && { result=BOOTED; break; }
    result=FAILED; reason="qemu exited ($(tail -c 300 "$TMP/qemu.out" | tr '\n' ' '))"; break
  fi
  if (( ($(date +%s%N) - start) / 1000000000 >= TIMEOUT )); then result=FAILED; reason="timeout after ${TIMEOUT}s"; break; fi
  sleep 0.5
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
el=$(printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100)))
if [[ $result == BOOTED ]]; then
  for _ in $(seq 20); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.5; done
  echo "BOOTED ${el}s $(grep -a -m1 -o 'REHOST-BOOT-OK.*' "$LOGF" | tr -d '\r')"
  exit 0
fi
echo "FAILED ${el}s: $reason"
echo "---- last 20 console lines ($LOGF) ----"
tail -n 20 "$LOGF" | tr -d '\r'
exit 1

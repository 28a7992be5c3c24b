// Plans for real lab guests (VMware-built Debian with initramfs-tools and with dracut, and a
// KVM-built one) and for a small synthetic guest whose configuration names devices by
// controller-bound names, has caches tied to the old disks, interfaces named after the old
// PCI layout and VirtualBox's installer-made services. Also: the plan sees patched state
// (re-planning simulated facts proposes nothing), determinism, a reviewed golden plan, and
// the CLI (`rehost plan`: exit codes, JSON, the image left byte-identical).

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/catalog/index.js';
import { registerPlanCommands, PLAN_BLOCKED_EXIT } from '../../src/cli/commands/plan.js';
import { inspectImage, type Inspection } from '../../src/inspect/index.js';
import type { LinuxFacts } from '../../src/linux/facts/index.js';
import { loadRulePacks, planFor, type Plan, type PlannedPatch, type RulePack } from '../../src/rules/index.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { scratchDirs, sha256File } from '../helpers/tools.js';
import { labGuest, type LabGuest } from '../linux/facts/lab-guest.js';
import { buildSyntheticGuest, SYNTHETIC_ROOT_UUID, SYNTHETIC_SWAP_UUID } from './synthetic-guest.js';

const scratch = scratchDirs('rehost-plan-');
const GOLDEN = new URL('./golden/vmware-itools-kvm.plan.json', import.meta.url).pathname;

let catalog: Catalog;
let packs: RulePack[];
const guests: Record<string, { guest: LabGuest; inspection: Inspection }> = {};
let synthetic: { disk: string; inspection: Inspection };

beforeAll(async () => {
  catalog = await loadCatalog();
  packs = await loadRulePacks();
  for (const [name, flavour, source] of [['vmware-itools', 'initramfs-tools', 'vmware'], ['vmware-dracut', 'dracut', 'vmware'], ['kvm-itools', 'initramfs-tools', 'kvm']] as const) {
    const guest = labGuest(flavour, { source });
    guests[name] = { guest, inspection: await inspectImage({ path: guest.disk }) };
  }
  const disk = buildSyntheticGuest(scratch());
  synthetic = { disk, inspection: await inspectImage({ path: disk }) };
}, 120_000);

const plan = (inspection: Inspection, target: string, options = {}): Plan => planFor({ inspection, catalog, target, packs, options });
const ofKind = <K extends PlannedPatch['kind']>(p: Plan, kind: K): Array<Extract<PlannedPatch, { kind: K }>> => p.patches.filter((x): x is Extract<PlannedPatch, { kind: K }> => x.kind === kind);
const storageModules = (p: Plan): string[] => ofKind(p, 'initramfs-add-modules').flatMap((x) => x.modules).sort();

describe('lab guests', () => {
  it.each(['vmware-itools', 'vmware-dracut'])('%s → kvm adds virtio_blk, virtio_scsi and virtio_pci to the initramfs', (name) => {
    const { guest, inspection } = guests[name]!;
    const p = plan(inspection, 'kvm');
    expect(p.blocked).toEqual([]);
    const [add] = ofKind(p, 'initramfs-add-modules');
    expect(add).toMatchObject({ volume: 'p2', kernel: guest.json.kernel.version, initramfs: `/boot/initrd.img-${guest.json.kernel.version}`, generator: guest.json.initramfs.generator });
    expect(add!.modules.slice().sort()).toEqual(['virtio_blk', 'virtio_pci', 'virtio_scsi']);
    const facts = inspection.operatingSystems[0]!.facts as LinuxFacts;
    expect(add!.expectSize).toBe(facts.kernels[0]!.initramfs!.size);
    const [config] = ofKind(p, 'initramfs-config-modules');
    expect(config).toMatchObject({
      generator: guest.json.initramfs.generator,
      path: guest.json.initramfs.generator === 'dracut' ? '/etc/dracut.conf.d/90-rehost-kvm.conf' : '/etc/initramfs-tools/modules',
      modules: add!.modules,
    });
    // fstab names the root /dev/sda2 (the build's --fstab dev); its UUID is the one mkfs gave.
    const root = guest.json.disk.partitions.find((x) => x.number === 2)!;
    expect(ofKind(p, 'table-device')).toEqual([expect.objectContaining({ path: '/etc/fstab', line: 2, from: guest.json.disk.fstab_root, to: `UUID=${root.uuid}` })]);
    // open-vm-tools: advice only.
    expect(p.results.find((r) => r.rule === 'linux.tools.open-vm-tools')).toMatchObject({ outcome: 'advice', patches: [] });
  });

  it('the KVM-built guest needs nothing for storage on kvm', () => {
    const p = plan(guests['kvm-itools']!.inspection, 'kvm');
    expect(storageModules(p)).toEqual([]);
    expect(ofKind(p, 'initramfs-config-modules')).toEqual([]);
    expect(p.blocked).toEqual([]);
  });

  it('targets come from the catalog: nvme for aws-nitro, hv_storvsc+hv_vmbus for Hyper-V and Azure, xen_blkfront for Xen, nothing for vmware-esxi', () => {
    // The initramfs-tools guest was built with MODULES=list (only VMware's drivers); the dracut
    // one is generic except for virtio (the build omits it on purpose), so it has the others.
    const { inspection } = guests['vmware-itools']!;
    expect(storageModules(plan(inspection, 'aws-nitro'))).toEqual(['nvme', 'nvme_core']);
    expect(storageModules(plan(inspection, 'gce'))).toEqual(['virtio_pci', 'virtio_scsi']);
    expect(storageModules(plan(inspection, 'hyperv-gen2'))).toEqual(['hv_storvsc', 'hv_vmbus']);
    expect(storageModules(plan(inspection, 'azure'))).toEqual(['hv_storvsc', 'hv_vmbus']);
    expect(storageModules(plan(inspection, 'xen-hvm'))).toEqual(['xen_blkfront']);
    for (const name of ['vmware-dracut', 'kvm-itools']) {
      for (const target of ['aws-nitro', 'hyperv-gen2', 'azure', 'xen-hvm']) expect(storageModules(plan(guests[name]!.inspection, target)), `${name} → ${target}`).toEqual([]);
    }
    for (const name of ['vmware-itools', 'vmware-dracut']) expect(storageModules(plan(guests[name]!.inspection, 'vmware-esxi')), name).toEqual([]);
  });

  it('--controller narrows the plan to the chosen device, and an unknown one is refused', () => {
    const { inspection } = guests['vmware-itools']!;
    expect(storageModules(plan(inspection, 'kvm', { controllers: ['virtio-blk'] }))).toEqual(['virtio_blk', 'virtio_pci']);
    expect(storageModules(plan(inspection, 'kvm', { controllers: ['ahci-ich9'] }))).toEqual([]);
    expect(() => plan(inspection, 'kvm', { controllers: ['pvscsi'] })).toThrow(/no boot-storage device "pvscsi"/);
  });

  it('re-planning after the patches (simulated in the facts) proposes nothing', () => {
    for (const name of ['vmware-itools', 'vmware-dracut']) {
      const inspection = structuredClone(guests[name]!.inspection);
      const before = plan(inspection, 'kvm');
      const os = inspection.operatingSystems[0] as Extract<Inspection['operatingSystems'][number], { type: 'linux' }>;
      const facts = os.facts;
      for (const patch of before.patches) {
        if (patch.kind === 'initramfs-add-modules') {
          const kernel = facts.kernels.find((k) => k.version === patch.kernel)!;
          kernel.initramfs!.modules = [...kernel.initramfs!.modules, ...patch.modules].sort();
          for (const m of patch.modules) kernel.drivers[m] = 'initramfs';
        } else if (patch.kind === 'initramfs-config-modules') {
          if (patch.generator === 'dracut') facts.initramfsConfig.dracut!.addDrivers.push(...patch.modules);
          else facts.initramfsConfig.initramfsTools!.extraModules.push(...patch.modules);
        } else if (patch.kind === 'table-device') {
          const entry = facts.fstab.find((e) => e.line === patch.line)!;
          entry.device = { raw: patch.to, naming: 'uuid', value: patch.to.slice(5) };
        }
      }
      const after = plan(inspection, 'kvm');
      expect(after.patches, name).toEqual([]);
      expect(after.blocked).toEqual([]);
    }
  });

  it("says 'cannot' when the default kernel has no driver for any chosen controller, and warns for other kernels", () => {
    const inspection = structuredClone(guests['vmware-itools']!.inspection);
    const facts = (inspection.operatingSystems[0] as Extract<Inspection['operatingSystems'][number], { type: 'linux' }>).facts;
    const kernel = facts.kernels[0]!;
    for (const m of ['virtio_blk', 'virtio_pci']) kernel.drivers[m] = 'absent';
    const blocked = plan(inspection, 'kvm', { controllers: ['virtio-blk'] });
    expect(blocked.blocked.map((r) => r.rule)).toEqual(['linux.initramfs.drivers-absent']);
    expect(ofKind(blocked, 'initramfs-add-modules')).toEqual([]);
    // With another controller to fall back on, the move is possible.
    expect(plan(inspection, 'kvm').blocked).toEqual([]);
    // An older kernel that cannot boot is a warning, not a blocker.
    const older = structuredClone(kernel);
    older.version = '5.10.0-1-amd64';
    facts.kernels.push(older);
    const two = plan(inspection, 'kvm', { controllers: ['virtio-blk'] });
    expect(two.results.filter((r) => r.rule === 'linux.initramfs.other-kernel-cannot').map((r) => r.outcome)).toEqual(['advice']);
  });

  it("says 'cannot' when a volume to change is not ext2/3/4", () => {
    const inspection = structuredClone(guests['vmware-itools']!.inspection);
    (inspection.volumes.find((v) => v.id === 'p2')!.filesystem as { kind: string }).kind = 'xfs';
    const p = plan(inspection, 'kvm');
    expect(p.blocked.map((r) => [r.rule, r.evidence[0]])).toEqual([['linux.volume.unwritable', 'p2: xfs, holds /boot/initrd.img-' + guests['vmware-itools']!.guest.json.kernel.version]]);
  });

  it('is deterministic and matches the reviewed golden plan', () => {
    const { guest, inspection } = guests['vmware-itools']!;
    const a = JSON.stringify(plan(inspection, 'kvm'));
    const b = JSON.stringify(plan(structuredClone(inspection), 'kvm'));
    expect(b).toBe(a);
    // Values that change when the lab guest is rebuilt are replaced by placeholders.
    const facts = inspection.operatingSystems[0]!.facts as LinuxFacts;
    const size = facts.kernels[0]!.initramfs!.size;
    const replace = (text: string): string =>
      text
        .split(guest.json.disk.partitions.find((x) => x.number === 2)!.uuid!).join('<root-uuid>')
        .split(guest.json.kernel.version).join('<kernel>')
        .split(String(size)).join('<initramfs-size>')
        .split(guest.json.open_vm_tools!).join('<open-vm-tools-version>');
    const pretty = JSON.stringify(JSON.parse(a), (_key, value: unknown) => (value === size ? '<initramfs-size>' : typeof value === 'string' ? replace(value) : value), 2) + '\n';
    if (!existsSync(GOLDEN) || process.env.REHOST_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, pretty);
    expect(pretty).toBe(readFileSync(GOLDEN, 'utf8'));
  });
});

describe('synthetic guest with device names, caches, NICs and VirtualBox services', () => {
  it('plans UUID= for fstab and kernel arguments, removes caches, pins NICs, disables vboxadd, and is blocked without a kernel', () => {
    const p = plan(synthetic.inspection, 'kvm', { macs: { ens192: '00:50:56:AA:BB:CC' } });
    expect(p.blocked.map((r) => r.rule)).toEqual(['linux.kernel.none']);
    expect(ofKind(p, 'table-device').map((x) => [x.line, x.from, x.to])).toEqual([
      [2, '/dev/sda2', `UUID=${SYNTHETIC_ROOT_UUID}`],
      [3, '/dev/sda3', `UUID=${SYNTHETIC_SWAP_UUID}`],
    ]);
    expect(p.results.find((r) => r.rule === 'linux.table.device-name-unmapped')!.explanation).toMatch(/\/dev\/sdb1 names disk 2 of the guest/);
    // grub.cfg's two entries share root= and one resume=: one patch per file, argument and value.
    expect(ofKind(p, 'kernel-arg-device').map((x) => [x.format, x.path, x.arg, x.from, x.to])).toEqual([
      ['default-grub', '/etc/default/grub', 'resume', '/dev/sda3', `UUID=${SYNTHETIC_SWAP_UUID}`],
      ['grub-cfg', '/boot/grub/grub.cfg', 'root', '/dev/sda2', `UUID=${SYNTHETIC_ROOT_UUID}`],
      ['grub-cfg', '/boot/grub/grub.cfg', 'resume', '/dev/sda3', `UUID=${SYNTHETIC_SWAP_UUID}`],
      ['bls', '/boot/loader/entries/0123abcd-6.1.0-99-amd64.conf', 'root', '/dev/sda2', `UUID=${SYNTHETIC_ROOT_UUID}`],
    ]);
    expect(p.results.filter((r) => r.rule === 'linux.kernel-arg.device-name-unmapped').map((r) => r.explanation)).toEqual([expect.stringMatching(/0123abcd-6\.1\.0-98-amd64\.conf takes its options from grubenv's kernelopts/)]);
    expect(ofKind(p, 'remove-file').map((x) => x.path)).toEqual(['/etc/lvm/devices/system.devices', '/etc/blkid.tab']);
    expect(ofKind(p, 'pin-nic-name')).toEqual([expect.objectContaining({ name: 'ens192', mac: '00:50:56:aa:bb:cc', via: 'systemd-link', path: '/etc/systemd/network/10-rehost-ens192.link' })]);
    expect(p.results.filter((r) => r.rule === 'linux.nic.unknown-mac').map((r) => r.evidence[0])).toEqual(['/etc/network/interfaces: ens224 (predictable-slot, dhcp)']);
    expect(ofKind(p, 'disable-service').map((x) => [x.service, x.via])).toEqual([['vboxadd', 'systemd'], ['vboxadd-service', 'systemd']]);
    const facts = (synthetic.inspection.operatingSystems[0] as Extract<Inspection['operatingSystems'][number], { type: 'linux' }>).facts;
    expect(facts.services).toEqual({ masked: ['apt-daily.service'], sysvStart: ['vboxadd'] });
    expect(facts.deviceCaches).toEqual(['/etc/blkid.tab']);
    // Every patch names the rule that proposed it and a precondition.
    for (const patch of p.patches) expect(patch.precondition.length).toBeGreaterThan(0);
  });

  it('without --mac both interfaces get advice; with a one-NIC descriptor the only one needing it is not guessed', () => {
    const p = plan(synthetic.inspection, 'kvm');
    expect(ofKind(p, 'pin-nic-name')).toEqual([]);
    expect(p.results.filter((r) => r.rule === 'linux.nic.unknown-mac')).toHaveLength(2);
    expect(ofKind(plan(synthetic.inspection, 'kvm', { vmMacs: ['00:50:56:00:00:01'] }), 'pin-nic-name')).toEqual([]);
  });

  it("a one-NIC descriptor's MAC pins the only interface that needs one", () => {
    const inspection = structuredClone(synthetic.inspection);
    const facts = (inspection.operatingSystems[0] as Extract<Inspection['operatingSystems'][number], { type: 'linux' }>).facts;
    facts.network.configs = facts.network.configs.filter((c) => c.name !== 'ens224');
    const p = plan(inspection, 'kvm', { vmMacs: ['00:50:56:00:00:01'] });
    expect(ofKind(p, 'pin-nic-name').map((x) => [x.name, x.mac])).toEqual([['ens192', '00:50:56:00:00:01']]);
    expect(p.results.find((r) => r.rule === 'linux.nic.pin-name')!.evidence[0]).toMatch(/from --vm descriptor/);
  });

  it('on VirtualBox the Guest Additions are left alone', () => {
    expect(ofKind(plan(synthetic.inspection, 'virtualbox'), 'disable-service')).toEqual([]);
  });

  it('re-planning after the patches (simulated in the facts) proposes nothing', () => {
    const inspection = structuredClone(synthetic.inspection);
    const facts = (inspection.operatingSystems[0] as Extract<Inspection['operatingSystems'][number], { type: 'linux' }>).facts;
    const uuid = (ref: { raw: string }, to: string): void => {
      Object.assign(ref, { raw: to, naming: 'uuid', value: to.slice(5) });
    };
    for (const e of facts.fstab) if (e.device.raw === '/dev/sda2') uuid(e.device, `UUID=${SYNTHETIC_ROOT_UUID}`);
    for (const e of facts.fstab) if (e.device.raw === '/dev/sda3') uuid(e.device, `UUID=${SYNTHETIC_SWAP_UUID}`);
    uuid(facts.boot.defaultGrub!.cmdlineLinux!.resume!, `UUID=${SYNTHETIC_SWAP_UUID}`);
    for (const entry of facts.boot.grub2[0]!.entries) {
      uuid(entry.cmdline!.root!, `UUID=${SYNTHETIC_ROOT_UUID}`);
      if (entry.cmdline!.resume) uuid(entry.cmdline!.resume, `UUID=${SYNTHETIC_SWAP_UUID}`);
    }
    for (const entry of facts.boot.blsEntries) if (entry.usesKernelopts !== true) uuid(entry.cmdline!.root!, `UUID=${SYNTHETIC_ROOT_UUID}`);
    facts.lvm.devicesFile = false;
    facts.deviceCaches = [];
    facts.network.macBindings.push({ source: 'systemd-link', file: '/etc/systemd/network/10-rehost-ens192.link', mac: '00:50:56:aa:bb:cc', name: 'ens192' });
    facts.services!.masked.push('vboxadd-service.service', 'vboxadd.service');
    const after = plan(inspection, 'kvm', { macs: { ens192: '00:50:56:aa:bb:cc' } });
    expect(after.patches).toEqual([]);
  });

  it('rehost plan prints the plan, exits 3 when blocked, and leaves the image byte-identical', async () => {
    const before = await sha256File(synthetic.disk);
    const text = await runCommandInProcess(registerPlanCommands, ['plan', synthetic.disk, '--to', 'kvm', '--mac', 'ens192=00:50:56:aa:bb:cc']);
    expect(text.exitCode).toBe(PLAN_BLOCKED_EXIT);
    expect(text.stdout).toMatch(/p2 → kvm: \d+ patch\(es\), BLOCKED by 1 rule/);
    expect(text.stdout).toMatch(/cannot: No installed kernel found/);
    expect(text.stdout).toMatch(/patch: p2:\/etc\/fstab line 2: \/dev\/sda2 → UUID=/);
    expect(text.stdout).toMatch(/precondition: \/etc\/fstab line 2 names \/dev\/sda2/);
    const json = await runCommandInProcess(registerPlanCommands, ['plan', synthetic.disk, '--to', 'kvm', '--json']);
    expect(json.exitCode).toBe(PLAN_BLOCKED_EXIT);
    const parsed = JSON.parse(json.stdout) as { plans: Plan[] };
    expect(parsed.plans[0]!.blocked).toHaveLength(1);
    const bad = await runCommandInProcess(registerPlanCommands, ['plan', synthetic.disk, '--to', 'kvm', '--mac', 'ens192']);
    expect(bad.exitCode).toBe(2);
    const unknown = await runCommandInProcess(registerPlanCommands, ['plan', synthetic.disk, '--to', 'nowhere']);
    expect(unknown.exitCode).toBe(2);
    expect(await sha256File(synthetic.disk)).toBe(before);
  });

  it('rehost plan exits 0 for an applicable plan and leaves the lab guest byte-identical', async () => {
    // Hashing the 2 GiB lab disk twice would take half a minute: its size and times stand in
    // here (the synthetic guest above is checked by sha256).
    const { guest } = guests['vmware-itools']!;
    const before = statSync(guest.disk);
    const result = await runCommandInProcess(registerPlanCommands, ['plan', guest.disk, '--to', 'kvm']);
    expect(result.exitCode ?? 0).toBe(0);
    expect(result.stdout).toMatch(/append virtio_blk, virtio_pci, virtio_scsi/);
    const after = statSync(guest.disk);
    expect([after.size, after.mtimeMs, after.ctimeMs]).toEqual([before.size, before.mtimeMs, before.ctimeMs]);
  }, 30_000);
});

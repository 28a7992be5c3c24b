// The attribute layout on its own: extents split at run boundaries decode back to the same
// runs, each fits a record, only the first carries sizes; the list names every attribute in
// type/name/VCN order with the record and instance that hold it; small files stay in the base.

import { describe, expect, it } from 'vitest';
import { layoutAttributes, recordCapacity, splitExtents, attributeLowestVcn } from '../../../../src/fs/ntfs/write/attribute-layout.js';
import { extentRuns } from '../../../../src/fs/ntfs/write/attribute-values.js';
import { buildResident } from '../../../../src/fs/ntfs/write/record-edit.js';
import { decodeAttributeList } from '../../../../src/fs/ntfs/attribute-list.js';
import type { DataRun } from '../../../../src/fs/ntfs/runlist.js';

function fragmentedRuns(count: number): DataRun[] {
  const runs: DataRun[] = [];
  let vcn = 0;
  for (let i = 0; i < count; i++) {
    const length = 1 + (i % 3);
    runs.push({ vcn, lcn: i % 5 === 4 ? -1 : 200_000 - i * 37 + (i % 2) * 50_000, length });
    vcn += length;
  }
  return runs;
}

describe('attribute layout', () => {
  it('splits runs into extents that decode back to them', () => {
    const runs = fragmentedRuns(3000);
    const extents = splitExtents({ attribute: { type: 0x80, name: '', flags: 0, runs, dataSize: 123_456, initializedSize: 123_456 }, maxLength: recordCapacity(1024), clusterSize: 4096 });
    expect(extents.length).toBeGreaterThan(10);
    const back: DataRun[] = [];
    for (const [i, e] of extents.entries()) {
      expect(e.length).toBeLessThanOrEqual(recordCapacity(1024));
      const view = new DataView(e.buffer);
      expect(Number(view.getBigUint64(0x30, true))).toBe(i === 0 ? 123_456 : 0); // sizes in the first extent only
      expect(attributeLowestVcn(e)).toBe(back.length ? back[back.length - 1]!.vcn + back[back.length - 1]!.length : 0);
      back.push(...extentRuns(e, 1 << 30));
    }
    expect(back).toEqual(runs);
  });

  it('keeps a small file in its base record and lists a large one', () => {
    const si = buildResident({ type: 0x10, name: '', instance: 0, flags: 0, value: new Uint8Array(0x48) });
    const fn = buildResident({ type: 0x30, name: '', instance: 1, flags: 0, value: new Uint8Array(0x42 + 20) });
    const common = { recordSize: 1024, clusterSize: 4096, base: { recordNumber: 40, sequence: 3, nextInstance: 3 }, listAttributeLength: (n: number) => (0x18 + n + 7) & ~7 };
    let next = 100;
    const extensionRecord = (): { recordNumber: number; sequence: number } => ({ recordNumber: next++, sequence: 1 });
    const small = layoutAttributes({ ...common, attributes: [{ bytes: si }, { bytes: fn }], runs: [{ type: 0x80, name: '', flags: 0, runs: fragmentedRuns(10), dataSize: 1, initializedSize: 1, instance: 2 }], extensionRecord });
    expect(small.list).toBeUndefined();
    expect(small.extensions).toEqual([]);
    expect(small.base.attributes.map((a) => a[0])).toEqual([0x10, 0x30, 0x80]);
    const large = layoutAttributes({ ...common, attributes: [{ bytes: si }, { bytes: fn }], runs: [{ type: 0x80, name: '', flags: 0, runs: fragmentedRuns(2000), dataSize: 1, initializedSize: 1, instance: 2 }], extensionRecord });
    expect(large.extensions.length).toBeGreaterThan(5);
    const entries = decodeAttributeList(large.list!, 0);
    expect(entries.length).toBe(2 + large.extensions.reduce((n, e) => n + e.attributes.length, 0));
    expect(entries.slice(0, 2).map((e) => [e.type, e.recordNumber])).toEqual([[0x10, 40], [0x30, 40]]);
    const vcns = entries.filter((e) => e.type === 0x80).map((e) => e.lowestVcn);
    expect(vcns).toEqual([...vcns].sort((a, b) => a - b));
    for (const e of entries.filter((x) => x.type === 0x80)) {
      const holder = large.extensions.find((x) => x.recordNumber === e.recordNumber)!;
      expect(holder.attributes.some((a) => new DataView(a.buffer).getUint16(0x0e, true) === e.instance && attributeLowestVcn(a) === e.lowestVcn)).toBe(true);
    }
  });
});

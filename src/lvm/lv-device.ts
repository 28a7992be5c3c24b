// A logical volume as a BlockDevice: its linear and striped segments mapped onto the PVs'
// devices. Linear (stripe_count 1): extent e of the segment lives at pe_start + (pv_extent +
// e) * extent_size. Striped: the segment is cut in stripe_size chunks dealt round-robin over
// its N stripe areas, each area holding extent_count / N extents.

import { CorruptError } from '../errors.js';
import { isWritable, type BlockDevice, type WritableBlockDevice } from '../io/block-device.js';
import { checkRange } from '../io/checks.js';

export interface MappedStripe {
  device: BlockDevice;
  /** Absolute byte offset on `device` where this stripe area starts. */
  start: number;
}

export interface MappedSegment {
  /** Byte offset of the segment inside the LV. */
  offset: number;
  length: number;
  /** Bytes per chunk; equal to `length` for a linear segment. */
  stripeSize: number;
  stripes: MappedStripe[];
}

export class LogicalVolumeDevice implements WritableBlockDevice {
  readonly size: number;

  constructor(
    readonly name: string,
    private readonly segments: MappedSegment[],
  ) {
    let size = 0;
    for (const seg of segments) {
      if (seg.offset !== size) throw new CorruptError(`segments of ${name} are not contiguous`, { structure: 'LVM logical volume' });
      size += seg.length;
      const perStripe = seg.length / seg.stripes.length;
      for (const stripe of seg.stripes) {
        if (stripe.start < 0 || stripe.start + perStripe > stripe.device.size) {
          throw new CorruptError(`LV ${name}: segment at ${seg.offset} maps past the end of its physical volume`, { structure: 'LVM logical volume', offset: stripe.start });
        }
      }
    }
    this.size = size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: `LV ${this.name}` });
    const out = new Uint8Array(length);
    const pieces: Array<Promise<void>> = [];
    for (const piece of this.map(offset, length)) {
      pieces.push(piece.device.read(piece.deviceOffset, piece.length).then((data) => out.set(data, piece.at)));
    }
    await Promise.all(pieces);
    return out;
  }

  /** Writes through to the PVs' devices (for an LV over copy-on-write disks); read-only PVs refuse. */
  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange({ offset, length: data.length, size: this.size, name: `LV ${this.name}` });
    for (const piece of this.map(offset, data.length)) {
      if (!isWritable(piece.device)) throw new Error(`LV ${this.name}: physical volume device is read-only`);
      await piece.device.write(piece.deviceOffset, data.subarray(piece.at, piece.at + piece.length));
    }
  }

  async flush(): Promise<void> {
    const seen = new Set<BlockDevice>();
    for (const seg of this.segments) for (const s of seg.stripes) seen.add(s.device);
    for (const device of seen) if (isWritable(device)) await device.flush();
  }

  /** Splits an LV byte range into pieces on the PV devices. */
  private *map(offset: number, length: number): Generator<{ device: BlockDevice; deviceOffset: number; length: number; at: number }> {
    let pos = offset;
    const end = offset + length;
    let index = this.findSegment(pos);
    while (pos < end) {
      const seg = this.segments[index] as MappedSegment;
      const segEnd = seg.offset + seg.length;
      const within = pos - seg.offset;
      const n = seg.stripes.length;
      let target: MappedStripe;
      let deviceOffset: number;
      let take: number;
      if (n === 1) {
        target = seg.stripes[0] as MappedStripe;
        deviceOffset = target.start + within;
        take = Math.min(end, segEnd) - pos;
      } else {
        const chunk = Math.floor(within / seg.stripeSize);
        const inChunk = within % seg.stripeSize;
        target = seg.stripes[chunk % n] as MappedStripe;
        deviceOffset = target.start + Math.floor(chunk / n) * seg.stripeSize + inChunk;
        take = Math.min(end - pos, seg.stripeSize - inChunk);
      }
      yield { device: target.device, deviceOffset, length: take, at: pos - offset };
      pos += take;
      if (pos >= segEnd) index++;
    }
  }

  private findSegment(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segments[mid] as MappedSegment).offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

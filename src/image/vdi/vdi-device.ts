// The guest disk of a VDI image: reads go block by block through the block map; unmapped
// and discarded blocks read as zeros. The allocation map is exact: mapped blocks are 'data',
// the rest 'zero'.

import type { AllocationRun, BlockDevice } from '../../io/block-device.js';
import { coalesceRuns } from '../../io/block-device.js';
import { checkRange } from '../../io/checks.js';
import { VDI_BLOCK_UNALLOCATED, VDI_BLOCK_ZERO } from './block-map.js';
import type { VdiLayout } from './header.js';

export class VdiDevice implements BlockDevice {
  readonly size: number;
  private readonly blockSize: number;
  private readonly file: BlockDevice;
  private readonly layout: VdiLayout;
  private readonly map: Uint32Array;

  constructor(args: { file: BlockDevice; layout: VdiLayout; map: Uint32Array }) {
    this.file = args.file;
    this.layout = args.layout;
    this.map = args.map;
    this.size = args.layout.virtualSize;
    this.blockSize = args.layout.blockSize;
  }

  /** File offset of a virtual block's data, or undefined when it reads as zeros. */
  private blockOffset(block: number): number | undefined {
    const entry = this.map[block];
    if (entry === undefined || entry === VDI_BLOCK_UNALLOCATED || entry === VDI_BLOCK_ZERO) return undefined;
    const { header, blockStride } = this.layout;
    return header.offData + entry * blockStride + header.cbBlockExtra;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'VDI disk' });
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const position = offset + done;
      const block = Math.floor(position / this.blockSize);
      const within = position - block * this.blockSize;
      const take = Math.min(length - done, this.blockSize - within);
      const at = this.blockOffset(block);
      if (at !== undefined) out.set(await this.file.read(at + within, take), done);
      done += take;
    }
    return out;
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    checkRange({ offset, length, size: this.size, name: 'VDI disk' });
    const runs: AllocationRun[] = [];
    const end = offset + length;
    for (let position = offset; position < end; ) {
      const block = Math.floor(position / this.blockSize);
      const next = Math.min(end, (block + 1) * this.blockSize);
      runs.push({ offset: position, length: next - position, kind: this.blockOffset(block) === undefined ? 'zero' : 'data' });
      position = next;
    }
    return coalesceRuns(runs);
  }
}

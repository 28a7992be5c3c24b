// Every corpus image with an mmls (sleuthkit) layout oracle, opened through the image layer
// and read by the partition reader: the partitions must be mmls's, and an image mmls finds no
// table on must read as scheme 'none'. Images whose format is not registered yet are counted
// as not checked.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openImage } from '../../src/image/open.js';
import { imageFormats } from '../../src/image/formats.js';
import { readPartitionTable } from '../../src/partition/index.js';
import { CORPUS, extractCorpus, tempDir } from '../helpers/tools.js';

const FORMAT_BY_DIR: Record<string, string> = { qcow2: 'qcow2', vhd: 'vpc', vhdx: 'vhdx', vmdk: 'vmdk', vdi: 'vdi', raw: 'raw' };

function layouts(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...layouts(path));
    else if (name.endsWith('.layout.txt')) out.push(path);
  }
  return out.sort();
}

interface Row {
  start: number;
  length: number;
  type: string;
}

function mmlsRows(text: string): { table: boolean; rows: Row[] } {
  const table = /Partition Table/.test(text);
  const rows = [...text.matchAll(/^\d{3}:\s+(\d{3}:\d{3})\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+?)\s*$/gm)].map((m) => ({
    start: Number(m[2]),
    length: Number(m[4]),
    type: (/\(0x([0-9a-f]+)\)/.exec(m[5]!)?.[1] ?? '').padStart(2, '0'),
  }));
  return { table, rows };
}

describe('partition tables of the corpus images match mmls', () => {
  it('agrees on every image whose format is registered', async () => {
    const oracleRoot = join(CORPUS, 'oracle/images');
    const work = tempDir();
    const checked: string[] = [];
    const notRegistered: string[] = [];
    for (const layout of layouts(oracleRoot)) {
      const rel = relative(oracleRoot, layout).replace(/\.layout\.txt$/, '');
      const format = FORMAT_BY_DIR[rel.split('/')[0]!]!;
      if (!imageFormats.some((f) => f.name === format)) {
        notRegistered.push(rel);
        continue;
      }
      // Decompress the image (and its siblings, for backing chains) into one directory.
      const imageDir = join(CORPUS, 'images', rel.slice(0, rel.lastIndexOf('/')));
      const dest = join(work, rel.slice(0, rel.lastIndexOf('/')));
      await import('node:fs').then((fs) => fs.mkdirSync(dest, { recursive: true }));
      const base = rel.slice(rel.lastIndexOf('/') + 1);
      // A backing chain needs its siblings next to it; otherwise only the image itself.
      const wanted = rel.includes('backing-chain') ? readdirSync(imageDir) : readdirSync(imageDir).filter((n) => n.replace(/\.(gz|xz)$/, '') === base);
      for (const sibling of wanted) {
        if (!existsSync(join(dest, sibling.replace(/\.(gz|xz)$/, '')))) extractCorpus(relative(CORPUS, join(imageDir, sibling)), dest);
      }
      const imagePath = join(dest, rel.slice(rel.lastIndexOf('/') + 1));
      const image = await openImage(imagePath, { format });
      try {
        const table = await readPartitionTable(image.device);
        const oracle = mmlsRows(readFileSync(layout, 'utf8'));
        const ours = table.partitions
          .filter((p) => p.kind !== 'extended')
          .map((p) => ({ start: p.start / 512, length: p.size / 512, type: p.typeId.replace(/^0x/, '') }));
        expect({ image: rel, scheme: table.scheme, partitions: ours }).toEqual({ image: rel, scheme: oracle.table ? 'mbr' : 'none', partitions: oracle.rows });
        checked.push(rel);
      } finally {
        await image.close();
      }
    }
    console.info(`mmls agreement: ${checked.length} images checked (${checked.join(', ')}); format not registered: ${notRegistered.length}`);
    expect(checked.length, `checked ${checked.join(', ')}; not registered: ${notRegistered.join(', ')}`).toBeGreaterThanOrEqual(2);
  });
});

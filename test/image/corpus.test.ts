import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { openImage } from '../../src/image/open.js';
import { NotFoundError, UnsupportedError } from '../../src/errors.js';
import { CORPUS, extractCorpus, sha256Device, tempDir } from '../helpers/tools.js';

// Every image under the corpus, read through openImage: the guest bytes equal the oracle's
// raw sha256 (qemu-img's), and the format and virtual size equal qemu-img info's. Images the
// oracle could not convert (missing parent, unsupported variant) must fail with an error that
// says exactly that.

const IMAGES = join(CORPUS, 'images');
const ORACLE = join(CORPUS, 'oracle', 'images');

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'descriptors') out.push(...listImages(path));
    } else out.push(path);
  }
  return out.sort();
}

const images = listImages(IMAGES);
let work: string;
const local = new Map<string, string>();

beforeAll(() => {
  work = tempDir();
  // Decompress into one directory per source directory so relative backing names resolve.
  for (const image of images) {
    const rel = relative(IMAGES, image);
    const dir = join(work, rel.split('/').slice(0, -1).join('_'));
    const target = extractCorpus(rel.startsWith('images/') ? rel : `images/${rel}`, ensure(dir));
    local.set(image, target);
  }
});

function ensure(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function oracleFor(image: string, suffix: string): string | undefined {
  const rel = relative(IMAGES, image).replace(/\.(gz|xz)$/, '');
  const path = join(ORACLE, `${rel}.${suffix}`);
  return existsSync(path) ? path : undefined;
}

describe('every corpus image', () => {
  it('has images to check', () => expect(images.length).toBeGreaterThanOrEqual(15));

  for (const image of images) {
    const name = relative(IMAGES, image);
    it(name, async () => {
      const path = local.get(image) as string;
      const rawOracle = oracleFor(image, 'raw.json');
      const infoOracle = oracleFor(image, 'qemu-img-info.json');
      if (rawOracle) {
        const expected = JSON.parse(readFileSync(rawOracle, 'utf8')) as { raw_sha256: string; raw_size: number };
        const opened = await openImage(path);
        try {
          expect(opened.virtualSize).toBe(expected.raw_size);
          expect(await sha256Device(opened.device)).toBe(expected.raw_sha256);
          if (infoOracle) {
            const info = JSON.parse(readFileSync(infoOracle, 'utf8')) as { format: string; 'virtual-size': number };
            // qemu-img probes a fixed VHD as raw; rehost recognises its footer.
            const format = info.format === 'raw' && opened.format === 'vpc' ? 'vpc' : info.format;
            expect(opened.format).toBe(format);
          }
        } finally {
          await opened.close();
        }
        return;
      }
      // qemu-img refuses this one's checksums; libvhdi reads it, so its vhdiinfo is the oracle.
      const vhdiinfo = oracleFor(image, 'vhdiinfo.txt');
      if (vhdiinfo && !/parent/i.test(readFileSync(vhdiinfo, 'utf8'))) {
        const media = Number(/Media size\s*:\s*[^(]*\((\d+) bytes\)/.exec(readFileSync(vhdiinfo, 'utf8'))?.[1]);
        const opened = await openImage(path);
        try {
          expect(opened.format).toBe('vpc');
          expect(opened.virtualSize).toBe(media);
        } finally {
          await opened.close();
        }
        return;
      }
      // No content oracle: the trusted tools could not read it either; we must say why.
      const error = await openImage(path).then(
        async (img) => {
          await img.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error, `${name} opened although qemu-img could not convert it`).toBeDefined();
      if (basename(name).includes('sesparse')) {
        expect(error).toBeInstanceOf(UnsupportedError);
        expect(String((error as Error).message)).toMatch(/seSparse/);
      } else {
        // Differencing images whose parent is not in the corpus.
        expect(error).toBeInstanceOf(NotFoundError);
        expect(String((error as Error).message)).toMatch(/parent/i);
      }
    });
  }
});

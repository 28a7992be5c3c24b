// The ordered list of image formats tried by content probe (raw last, as the catch-all) and
// the writers by name. Each format lives in its own folder; this file only registers them.

import type { ImageFormat, ImageWriter } from './types.js';
import { rawFormat, rawWriter } from './raw/index.js';
import { vhdxFormat, vhdxWriter } from './vhdx/index.js';
import { vhdFormat, vhdWriter } from './vhd/index.js';
import { qcow2Format, qcow2Writer } from './qcow2/index.js';
import { vdiFormat } from './vdi/index.js';
import { vmdkFormat, vmdkWriter } from './vmdk/index.js';

export const imageFormats: readonly ImageFormat[] = [
  qcow2Format,
  vhdxFormat,
  vhdFormat,
  vdiFormat,
  vmdkFormat,
  rawFormat,
];

export const imageWriters: readonly ImageWriter[] = [
  qcow2Writer,
  vhdxWriter,
  vhdWriter,
  vmdkWriter,
  rawWriter,
];

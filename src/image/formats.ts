// The ordered list of image formats tried by content probe (raw last, as the catch-all) and
// the writers by name. Each format lives in its own folder; this file only registers them.

import type { ImageFormat, ImageWriter } from './types.js';
import { rawFormat, rawWriter } from './raw/index.js';

export const imageFormats: readonly ImageFormat[] = [
  rawFormat,
];

export const imageWriters: readonly ImageWriter[] = [
  rawWriter,
];

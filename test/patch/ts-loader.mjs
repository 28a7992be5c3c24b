// Module hooks that let a child `node` process run the TypeScript sources directly (Node 20
// has no type stripping): `.js` specifiers that do not exist resolve to the `.ts` file next to
// them, and `.ts` files are transpiled with the project's own TypeScript (no type check).
// Registered with: node --import ./test/patch/ts-register.mjs script.ts
// Transpiled output is cached in the temp directory by content hash, so only the first child
// pays for loading TypeScript.

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = join(tmpdir(), 'rehost-ts-loader-cache');
let ts;

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
    if (relative && specifier.endsWith('.js')) return next(`${specifier.slice(0, -3)}.ts`, context);
    throw error;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const key = join(CACHE, `${createHash('sha256').update(url).update('\0').update(source).digest('hex')}.js`);
  const cached = await readFile(key, 'utf8').catch(() => undefined);
  if (cached !== undefined) return { format: 'module', source: cached, shortCircuit: true };
  ts ??= (await import('typescript')).default;
  const { outputText } = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  });
  await mkdir(CACHE, { recursive: true });
  const partial = `${key}.${process.pid}.tmp`;
  await writeFile(partial, outputText);
  await rename(partial, key);
  return { format: 'module', source: outputText, shortCircuit: true };
}

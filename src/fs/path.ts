// Guest path handling shared by every filesystem: absolute, '/'-separated, no '.' or '..'
// left after normalising. Windows forms (C:\Windows\…) are turned into the same shape.

import { NotFoundError } from '../errors.js';

/** Splits a guest path into its components ('/a//b/./c/../d' → ['a', 'b', 'd']). */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts;
}

export function normalizePath(path: string): string {
  return '/' + splitPath(path).join('/');
}

/** 'C:\\Windows\\System32' → '/Windows/System32' (the drive letter is dropped). */
export function fromWindowsPath(path: string): string {
  return normalizePath(path.replace(/^[A-Za-z]:/, ''));
}

export function joinPath(...parts: string[]): string {
  return normalizePath(parts.join('/'));
}

export function dirnamePath(path: string): string {
  const parts = splitPath(path);
  parts.pop();
  return '/' + parts.join('/');
}

export function basenamePath(path: string): string {
  const parts = splitPath(path);
  return parts[parts.length - 1] ?? '';
}

export function notFound(path: string, errno: 'ENOENT' | 'ENOTDIR' | 'EISDIR' = 'ENOENT'): NotFoundError {
  const message = errno === 'ENOENT' ? 'no such file or directory' : errno === 'ENOTDIR' ? 'not a directory' : 'is a directory';
  return new NotFoundError(`${message}: ${path}`, { path, kind: 'file' }, errno);
}

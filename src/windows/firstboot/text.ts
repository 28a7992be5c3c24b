// Text of the files the first boot runs: batch (.cmd) and PowerShell (.ps1) scripts, written
// as ASCII with CRLF line ends. cmd.exe reads a batch file in the console's OEM code page
// (437/850/…), not Windows-1252, so only ASCII means the same thing everywhere; a value that
// is not ASCII (a path, an address) is refused rather than guessed. Free text that only lands
// in comments or log lines (a product's display name) is folded to ASCII with '?'.

import { UnsupportedError } from '../../errors.js';

/** Lines joined with CRLF (and a final CRLF), as ASCII bytes; non-ASCII is refused. */
export function crlfText(lines: readonly string[]): Uint8Array {
  const text = lines.map((l) => `${l}\r\n`).join('');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || (c < 0x20 && c !== 0x0d && c !== 0x0a && c !== 0x09)) {
      throw new UnsupportedError(`first-boot script text has a non-ASCII character U+${c.toString(16).padStart(4, '0')} at ${i}`, { offset: i });
    }
  }
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

/** Free text for a comment or an echo: ASCII only, and none of cmd's special characters. */
export function commentText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').replace(/[%^&|<>"!()]/g, '_');
}

/** A value inside a PowerShell single-quoted string ('' escapes a quote). */
export function psQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

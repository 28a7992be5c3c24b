// Numbers in INF fields: `0x` hexadecimal or decimal (SetupGetIntField accepts both); a
// leading minus for dirid -1.

export function parseInfNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^-?0x[0-9a-f]+$/i.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^-?0x/i, ''), 16);
  if (/^-?\d+$/.test(t)) return parseInt(t, 10);
  return undefined;
}

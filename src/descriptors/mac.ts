// MAC address normalisation shared by the descriptor readers: lower case, colon separated.
// VirtualBox writes 12 bare hex digits ("0800277AA2FC"); VMware and libvirt use colons.

export function normaliseMac(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.trim().replace(/[:-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

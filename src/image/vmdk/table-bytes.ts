// Grain directories and tables are little-endian u32 arrays. On a little-endian host (every
// platform Node supports in practice) a Uint32Array's bytes are already in that order, so
// they are written without a copy; on a big-endian host they are swapped into a copy.

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function littleEndianBytes(values: Uint32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(i * 4, values[i] as number, true);
  return out;
}

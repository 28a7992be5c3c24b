// The write gate: every reason to refuse changing an NTFS volume offline, checked before the
// first byte is written. Windows keeps metadata in memory across hibernation and Fast Startup
// (hiberfil.sys signed "hibr"/"wake"), a dirty flag or a $LogFile with pending work means the
// on-disk structures are not the whole truth, BitLocker volumes are ciphertext ("-FVE-FS-"
// OEM id), and NTFS before 3.0 (NT4) lacks the structures we write ($Secure ids, USNs).
// Spec: ntfs-3g volume.c ntfs_volume_check_hiberfile / ntfs_volume_check_logfile; Microsoft
// "BitLocker drive encryption" volume header (OEM id "-FVE-FS-").

import type { BlockDevice } from '../../../io/block-device.js';
import { UnsafeStateError } from '../../../errors.js';
import type { NtfsFileSystem } from '../filesystem.js';
import { AT_DATA } from '../attribute-types.js';
import { AttributeStream } from '../data-stream.js';
import { mergedSource } from '../mft.js';
import { logFileState, type LogFileState } from './logfile.js';

export const MFT_RECORD_LOGFILE = 2;
const LOGFILE_PROBE = 0x4000000;

/** Refuses BitLocker before the reader (which needs the "NTFS    " OEM id) even opens the volume. */
export async function assertNotBitLocker(device: BlockDevice): Promise<void> {
  if (device.size < 512) return;
  const oem = String.fromCharCode(...(await device.read(3, 8)));
  if (oem === '-FVE-FS-') throw new UnsafeStateError('the volume is BitLocker-encrypted ("-FVE-FS-" boot sector); unlock it in Windows first', { structure: 'NTFS boot sector', offset: 3 });
}

/** Reads and classifies $LogFile (record 2). */
export async function readLogFileState(fs: NtfsFileSystem): Promise<LogFileState> {
  const file = await fs.mft.loadFile(MFT_RECORD_LOGFILE);
  const data = file.attributes.find((a) => a.type === AT_DATA && a.name === '');
  if (!data) return { state: 'invalid', reason: '$LogFile has no $DATA' };
  const stream = new AttributeStream({ device: fs.device, clusterSize: fs.geometry.clusterSize, source: mergedSource(data, '$LogFile') });
  const bytes = await stream.read(0, Math.min(stream.size, LOGFILE_PROBE));
  return logFileState(bytes, data.dataSize);
}

/** Throws UnsafeStateError with the reason when the volume must not be written. */
export async function assertSafeToWrite(fs: NtfsFileSystem): Promise<LogFileState> {
  const v = fs.volume;
  const major = Number(v.version.split('.')[0]);
  if (!(major >= 3)) throw new UnsafeStateError(`NTFS version ${v.version} is not supported for writing (3.0 or later needed)`, { structure: 'NTFS $VOLUME_INFORMATION' });
  if (v.hibernated) {
    throw new UnsafeStateError(`Windows is hibernated or used Fast Startup (hiberfil.sys signature "${v.hibernationSignature}"): boot it and shut down fully, or disable Fast Startup`, { path: '/hiberfil.sys' });
  }
  if (v.dirty) throw new UnsafeStateError('the volume is marked dirty ($Volume flags); run chkdsk in Windows first', { structure: 'NTFS $VOLUME_INFORMATION' });
  const log = await readLogFileState(fs);
  if (log.state === 'dirty') throw new UnsafeStateError(log.reason, { structure: 'NTFS $LogFile' });
  if (log.state === 'invalid') throw new UnsafeStateError(`$LogFile is not in a state we can judge: ${log.reason}`, { structure: 'NTFS $LogFile' });
  return log;
}

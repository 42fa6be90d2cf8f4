import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';

/** One member of a download zip: its name in the zip and the stream of its bytes. */
export interface ZipMember {
  readonly name: string;
  readonly stream: Readable;
}

/**
 * A zip of `members`, in order, stored (not deflated: the QMDL is read once
 * and a device has little CPU), each read when the zip gets to it. A member
 * that fails to read fails the zip (`warn` says which), so a client gets a
 * cut body, never a zip with a member missing. The device's zip and the
 * fleet's central copy of it are both made here, so their members agree.
 */
export function storedZip(members: readonly ZipMember[], warn: (message: string) => void): Readable {
  const zip = new ZipFile();
  const output = zip.outputStream as unknown as Readable;
  const mtime = new Date();
  for (const m of members) {
    m.stream.on('error', (error: unknown) => {
      warn(`reading ${m.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      output.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    zip.addReadStream(m.stream, m.name, { compress: false, mtime, mode: 0o100644 });
  }
  zip.end();
  return output;
}

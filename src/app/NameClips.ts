import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AriClient } from '../ari';
import { ignoreGone } from '../ari';
import type { ClipStore } from '../conference/ports';
import { AppError } from '../lib/errors';

/**
 * Callers' recorded names, kept for the call. Asterisk stores each (`recording:<name>`, which its bridges and channels
 * play); the app mixer plays from its own copy in `dir`, fetched over ARI, since Asterisk may be another host.
 */
export class NameClips implements ClipStore {
  constructor(
    /** The ARI of the Asterisk server a caller came in on. */
    private readonly ariFor: (nodeId: string | undefined) => AriClient | undefined,
    readonly dir: string,
  ) {}

  /** Where the app mixer finds a clip. */
  path(name: string): string {
    return join(this.dir, `${name}.wav`);
  }

  async keep(name: string, nodeId: string | undefined): Promise<void> {
    const ari = this.ariFor(nodeId);
    if (!ari) throw new AppError('node_not_found', `no Asterisk server ${nodeId ?? '(none)'} holds recording ${name}`);
    const file = await ari.rest.recordings.getStoredFile({ recordingName: name });
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.path(name), Buffer.from(file));
  }

  async discard(name: string, nodeId: string | undefined): Promise<void> {
    await rm(this.path(name), { force: true });
    const ari = this.ariFor(nodeId);
    if (ari) await ignoreGone(ari.rest.recordings.deleteStored({ recordingName: name }));
  }
}

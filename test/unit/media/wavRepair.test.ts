import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, repairWav, wavHeader } from '../../../src/media/wav';
import { sine, wavBytes } from '../../support/audio';

const file = (bytes: Buffer): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'repair-')), 'part1.wav');
  writeFileSync(path, bytes);
  return path;
};

const pcm = (samples: Int16Array): Buffer => Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);

describe('a recording whose writer was killed', () => {
  it('has its data length read from the file size: a header still saying 0 bytes is rewritten, every sample kept', async () => {
    const tone = sine(880, 12000);
    // What WavRecorder leaves when killed after writing its first chunk and before rewriting the header.
    const path = file(Buffer.concat([wavHeader(0, 8000), pcm(tone)]));
    expect((await readWav(path)).samples.length).to.equal(0);
    expect(await repairWav(path)).to.deep.equal({ dataBytes: 24000, sampleRate: 8000 });
    const { samples, sampleRate } = await readWav(path);
    expect(sampleRate).to.equal(8000);
    expect([...samples]).to.deep.equal([...tone]);
    const bytes = readFileSync(path);
    expect([bytes.readUInt32LE(4), bytes.readUInt32LE(40)]).to.deep.equal([36 + 24000, 24000]);
  });

  it('drops half a sample cut by the kill, and leaves a header one second behind its data no longer behind', async () => {
    const tone = sine(440, 16000, 8000, 16000);
    const path = file(Buffer.concat([wavHeader(16000, 16000), pcm(tone), Buffer.from([7])]));
    expect(await repairWav(path)).to.deep.equal({ dataBytes: 32000, sampleRate: 16000 });
    expect((await readWav(path)).samples.length).to.equal(16000);
  });

  it('leaves a valid file as it is, and what is no WAV of ours alone', async () => {
    const whole = wavBytes(sine(1000, 800));
    const path = file(whole);
    expect(await repairWav(path)).to.deep.equal({ dataBytes: 1600, sampleRate: 8000 });
    expect(readFileSync(path).equals(whole)).to.equal(true);
    const text = Buffer.from('not a wav file at all, but long enough to have a header of 44 bytes');
    const other = file(text);
    expect(await repairWav(other)).to.equal(undefined);
    expect(readFileSync(other).equals(text)).to.equal(true);
    expect(await repairWav(join(tmpdir(), 'no-such-recording.wav'))).to.equal(undefined);
  });
});

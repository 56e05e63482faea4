import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, WavRecorder } from '../../../src/media/wav';
import { Player, SoundLibrary, numberFiles } from '../../../src/media/sounds';
import { makeSounds, sine, wavBytes } from '../../support/audio';

const recording = () => join(mkdtempSync(join(tmpdir(), 'rec-')), 'm.wav');

describe('WAV recording and playback', () => {
  it('keeps the file valid while recording and after stop', async () => {
    const path = recording();
    const recorder = await WavRecorder.open(path, 8000, 1);
    const tone = sine(1000, 160);
    for (let i = 0; i < 120; i++) recorder.write(tone, 160);
    await recorder.flushed();
    // Mid-recording (the process could die here): the seconds written are a readable WAV.
    const partial = await readWav(path);
    expect(partial.sampleRate).to.equal(8000);
    expect(partial.samples.length).to.equal(16000);
    await recorder.close();
    const full = await readWav(path);
    expect(full.samples.length).to.equal(120 * 160);
    expect(recorder.seconds).to.equal(2.4);
  });

  it('loses nothing when the disk falls behind: a minute recorded in one go is all in the file, in order', async () => {
    const path = recording();
    const recorder = await WavRecorder.open(path, 8000, 1);
    const frame = new Int16Array(160);
    for (let i = 0; i < 3000; i++) {
      frame.fill(i % 30000);
      recorder.write(frame, 160);
    }
    await recorder.close();
    const { samples } = await readWav(path);
    expect(samples.length).to.equal(3000 * 160);
    for (let i = 0; i < 3000; i++) expect(samples[i * 160 + 159], `frame ${i}`).to.equal(i % 30000);
  });

  it('plays prompts frame by frame, skips missing items and composes numbers', async () => {
    const { soundsDir, musicDir } = makeSounds();
    const library = new SoundLibrary(soundsDir, musicDir);
    const { parts, missing } = await library.resolve(['sound:beep', 'sound:nope', 'tone:440/100']);
    expect(parts.map((p) => p.length)).to.deep.equal([2400, 800]);
    expect(missing).to.deep.equal(['sound:nope']);
    const player = new Player(parts, false);
    const out = new Int16Array(160);
    let frames = 0;
    while (player.next(out)) frames++;
    expect(frames).to.equal(20);
    expect(numberFiles(17)).to.deep.equal(['digits/17']);
    expect(numberFiles(342)).to.deep.equal(['digits/3', 'digits/hundred', 'digits/40', 'digits/2']);
  });

  it('has the music read at start, and sees a new file once the listing is a minute old, read in the background', async () => {
    const { soundsDir, musicDir } = makeSounds();
    let now = 0;
    const library = new SoundLibrary(soundsDir, musicDir, () => now);
    await library.load();
    expect(library.music().map((p) => p.length)).to.deep.equal([8000]);
    writeFileSync(join(musicDir, 'second.wav'), wavBytes(sine(300, 4000)));
    expect(library.music(), 'a fresh listing is used as it is').to.have.length(1);
    now = 61_000;
    expect(library.music(), 'a stale one is used while it is read again').to.have.length(1);
    await library.load();
    expect(library.music().map((p) => p.length)).to.deep.equal([8000, 4000]);
  });
});

import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, WavRecorder } from '../../../src/media/wav';
import { Player, SoundLibrary, numberFiles } from '../../../src/media/sounds';
import { makeSounds, sine } from '../../support/audio';

describe('WAV recording and playback', () => {
  it('keeps the file valid while recording and after stop, in bounded memory', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rec-')), 'm.wav');
    const recorder = new WavRecorder(path, 8000, 1);
    const tone = sine(1000, 160);
    for (let i = 0; i < 120; i++) recorder.write(tone, 160);
    // Mid-recording (the process could die here): what was flushed is a readable WAV.
    const partial = readWav(path);
    expect(partial.sampleRate).to.equal(8000);
    expect(partial.samples.length).to.equal(16000);
    recorder.close();
    const full = readWav(path);
    expect(full.samples.length).to.equal(120 * 160);
    expect(recorder.seconds).to.equal(2.4);
  });

  it('plays prompts frame by frame, skips missing items and composes numbers', () => {
    const { soundsDir, musicDir } = makeSounds();
    const library = new SoundLibrary(soundsDir, musicDir);
    const { parts, missing } = library.resolve(['sound:beep', 'sound:nope', 'tone:440/100']);
    expect(parts.map((p) => p.length)).to.deep.equal([2400, 800]);
    expect(missing).to.deep.equal(['sound:nope']);
    const player = new Player(parts, false);
    const out = new Int16Array(160);
    let frames = 0;
    while (player.next(out)) frames++;
    expect(frames).to.equal(20);
    expect(numberFiles(17)).to.deep.equal(['digits/17']);
    expect(numberFiles(342)).to.deep.equal(['digits/3', 'digits/hundred', 'digits/40', 'digits/2']);
    expect(library.music()[0]!.length).to.equal(8000);
  });
});

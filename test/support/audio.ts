import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavHeader } from '../../src/media/wav';

export function sine(hz: number, samples: number, amplitude = 8000, rate = 8000, phase = 0): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin(phase + (2 * Math.PI * hz * i) / rate));
  return out;
}

export { goertzelDb } from '../../src/media/goertzel';

export function wavBytes(samples: Int16Array, rate = 8000): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) data.writeInt16LE(samples[i] as number, i * 2);
  return Buffer.concat([wavHeader(data.length, rate), data]);
}

/** A sounds directory of short tones named as Asterisk's prompts, and a music directory. */
export function makeSounds(): { soundsDir: string; musicDir: string } {
  const soundsDir = mkdtempSync(join(tmpdir(), 'meetme-sounds-'));
  const prompts: Record<string, number> = {
    beep: 1000,
    'conf-muted': 600,
    'conf-unmuted': 650,
    'conf-kicked': 700,
    'conf-waitforleader': 750,
    'conf-placeintoconf': 800,
    'conf-leaderhasleft': 850,
    'conf-lockednow': 900,
    'conf-unlockednow': 950,
    'conf-usermenu': 1050,
    'conf-adminmenu': 1100,
    'conf-hasjoin': 1150,
    'conf-hasleft': 1250,
    'vm-youhave': 1300,
  };
  for (const [name, hz] of Object.entries(prompts)) writeFileSync(join(soundsDir, `${name}.wav`), wavBytes(sine(hz, 2400)));
  const musicDir = join(soundsDir, 'moh');
  mkdirSync(musicDir);
  writeFileSync(join(musicDir, 'music.wav'), wavBytes(sine(500, 16000, 6000, 16000), 16000));
  return { soundsDir, musicDir };
}

import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { ConferenceEvent } from './model';
import type { ConferenceMedia, RecordingPolicy } from './ports';

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** A conference's recording of the mix: started, paused, resumed and stopped, each said as an event. */
export class ConferenceRecording {
  name: string | null = null;
  paused = false;

  constructor(
    private readonly conference: { id: string; number: string; policy: RecordingPolicy },
    private readonly media: ConferenceMedia,
    private readonly clock: Clock,
    private readonly emit: (event: ConferenceEvent) => void,
  ) {}

  private say(type: 'recording.started' | 'recording.stopped' | 'recording.paused' | 'recording.resumed', name: string): void {
    this.emit({ type, conferenceId: this.conference.id, number: this.conference.number, name });
  }

  async start(): Promise<string> {
    const { number } = this.conference;
    if (this.conference.policy === 'off')
      throw new AppError('recording_disabled', `conference ${number} is never recorded (recording: off)`);
    if (this.name) throw new AppError('already_recording', `conference ${number} is already being recorded`);
    const name = `meetme-${number}-${stamp(this.clock.now())}`;
    await this.media.startRecording({ name });
    this.name = name;
    this.say('recording.started', name);
    return name;
  }

  private running(): string {
    if (!this.name) throw new AppError('not_recording', `conference ${this.conference.number} is not being recorded`);
    return this.name;
  }

  async pause(paused: boolean): Promise<void> {
    const name = this.running();
    if (this.paused === paused) return;
    await this.media.pauseRecording(paused);
    this.paused = paused;
    this.say(paused ? 'recording.paused' : 'recording.resumed', name);
  }

  /** With `mediaGone` the recording already ended with the backend: it is only said. */
  async stop(mediaGone = false): Promise<void> {
    const name = this.running();
    this.name = null;
    this.paused = false;
    if (!mediaGone) await this.media.stopRecording();
    this.say('recording.stopped', name);
  }
}

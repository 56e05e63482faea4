/** An ARI error answer: status and the JSON body Asterisk 22 sends (errors.jsonl). */
export class AriFault extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly key: 'message' | 'error' = 'message',
  ) {
    super(message);
  }

  body(): Record<string, string> {
    return { [this.key]: this.message };
  }
}

export const channelNotFound = (): AriFault => new AriFault(404, 'Channel not found');
export const bridgeNotFound = (): AriFault => new AriFault(404, 'Bridge not found');
export const notInStasis = (): AriFault => new AriFault(409, 'Channel not in Stasis application');

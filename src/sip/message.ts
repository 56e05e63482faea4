/** SIP messages as far as the answering side needs them: start line, headers (compact forms too), body. */
export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  /** The first value of a header, by its full lower-case name. */
  header(name: string): string | undefined;
  /** Every value of a header, in order (Via may repeat or be comma-joined). */
  headers(name: string): string[];
  body: string;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  header(name: string): string | undefined;
  headers(name: string): string[];
  body: string;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
};

export function parseSipMessage(text: string): SipRequest | SipResponse | undefined {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 4);
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const values = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    const value = line.slice(colon + 1).trim();
    // Via values may be comma-joined in one header line; each is a hop.
    const parts = name === 'via' ? value.split(/,(?=\s*SIP\/)/i).map((v) => v.trim()) : [value];
    values.set(name, [...(values.get(name) ?? []), ...parts]);
  }
  const header = (name: string): string | undefined => values.get(name)?.[0];
  const headers = (name: string): string[] => values.get(name) ?? [];
  const response = /^SIP\/2\.0 (\d{3})/.exec(start);
  if (response) return { kind: 'response', status: Number(response[1]), header, headers, body };
  const request = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (!request) return undefined;
  return { kind: 'request', method: request[1] as string, uri: request[2] as string, header, headers, body };
}

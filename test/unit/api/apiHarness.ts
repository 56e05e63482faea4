import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/api/buildApi';
import { LocalRecordingFiles } from '../../../src/api/recordingFiles';
import { silentLogger } from '../../../src/lib/logger';
import { DefinitionStore } from '../../../src/store/DefinitionStore';
import { RecordingsIndex } from '../../../src/store/RecordingsIndex';
import { Store } from '../../../src/store/Store';
import { FakeCaller, harness, settle, type Harness } from '../conference/fakes';

export const KEYS = {
  admin: 'admin-key-0123456789abcdef',
  moderator: 'moderator-key-0123456789ab',
  viewer: 'viewer-key-0123456789abcdef',
};

export interface ApiHarness extends Omit<Harness, 'definitions'> {
  api: FastifyInstance;
  store: Store;
  definitions: DefinitionStore;
  recordings: RecordingsIndex;
  join(number: string, channelId: string, options?: string): Promise<FakeCaller>;
  as(role: keyof typeof KEYS): { authorization: string };
}

/** The real API over a real ConferenceManager whose ports are fakes, and an in-memory store. */
export async function apiHarness(eventQueueBytes?: number): Promise<ApiHarness> {
  const store = new Store(':memory:');
  const definitions = new DefinitionStore(store, [{ number: '999', name: 'From the config file', options: '' }]);
  const recordings = new RecordingsIndex(store);
  const h = harness({ directory: definitions });
  const files = new LocalRecordingFiles();
  const api = await buildApi({
    logger: silentLogger(),
    readiness: () => ({ ready: true, checks: {} }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    control: h.manager,
    definitions,
    recordings,
    recordingFiles: () => files,
    keys: [
      { name: 'ops', role: 'admin', key: KEYS.admin },
      { name: 'host', role: 'moderator', key: KEYS.moderator, conferences: ['100'] },
      { name: 'wall', role: 'viewer', key: KEYS.viewer },
    ],
    bodyLimitBytes: 4096,
    ...(eventQueueBytes !== undefined ? { eventQueueBytes } : {}),
  });
  return {
    ...h,
    api,
    store,
    definitions,
    recordings,
    async join(number, channelId, options = '') {
      const caller = new FakeCaller(channelId, [], `Caller ${channelId}`, channelId);
      void h.manager.handleCaller(caller, [number, options]);
      await settle();
      return caller;
    },
    as: (role) => ({ authorization: `Bearer ${KEYS[role]}` }),
  };
}

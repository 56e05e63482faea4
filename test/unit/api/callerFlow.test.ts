import { expect } from 'chai';
import { apiHarness, type ApiHarness } from './apiHarness';
import { settle } from '../conference/fakes';

describe('API: a conference definition with its caller-flow settings', () => {
  let h: ApiHarness;
  beforeEach(async () => {
    h = await apiHarness();
  });
  afterEach(async () => {
    await h.api.close();
    h.store.close();
  });

  it('keeps callerFlow and the L/S/C options, and the conference runs with them', async () => {
    const callerFlow = { announceUserCountAll: true, prompts: { kicked: 'custom/bye' }, exitContext: 'after', exitDigits: '5' };
    const created = await h.api.inject({
      method: 'POST',
      url: '/api/v1/definitions',
      headers: h.as('admin'),
      payload: { number: '500', name: 'Flow', options: 'CS(60)', callerFlow },
    });
    expect(created.statusCode).to.equal(201);
    expect(created.json().callerFlow).to.deep.equal(callerFlow);
    expect((await h.api.inject({ url: '/api/v1/definitions/500', headers: h.as('viewer') })).json().callerFlow).to.deep.equal(callerFlow);
    const caller = await h.join('500', 'c1');
    const [p] = (await h.api.inject({ url: '/api/v1/conferences/500/participants', headers: h.as('admin') })).json().participants;
    const kick = await h.api.inject({ method: 'POST', url: `/api/v1/conferences/500/participants/${p.id}/kick`, headers: h.as('admin') });
    expect(kick.statusCode).to.equal(204);
    await settle();
    expect(caller.played).to.include('sound:custom/bye');
    expect(caller.continued, 'C: back to the dialplan').to.deep.equal({});
  });

  it('refuses unknown prompt names, bad sound names and bad option arguments, naming the field', async () => {
    const post = (payload: Record<string, unknown>) =>
      h.api.inject({
        method: 'POST',
        url: '/api/v1/definitions',
        headers: h.as('admin'),
        payload: { number: '501', name: 'x', ...payload },
      });
    const unknownPrompt = await post({ callerFlow: { prompts: { kickd: 'beep' } } });
    expect(unknownPrompt.statusCode).to.equal(400);
    expect(unknownPrompt.json().error.field).to.match(/callerFlow/);
    const badSound = await post({ callerFlow: { limitWarningSound: '/etc/passwd' } });
    expect(badSound.statusCode).to.equal(400);
    expect(badSound.json().error.field).to.match(/callerFlow/);
    const badLimit = await post({ options: 'L(soon)' });
    expect(badLimit.statusCode).to.equal(400);
    expect(badLimit.json().error.field).to.equal('options');
  });

  it('publishes callerFlow in the OpenAPI document', async () => {
    const doc = (await h.api.inject({ url: '/openapi.json' })).json();
    expect(JSON.stringify(doc)).to.contain('announceUserCountAll').and.to.contain('hearOwnJoinSound');
  });
});

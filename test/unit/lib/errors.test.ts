import { expect } from 'chai';
import { AppError, ERROR_CODES, isErrorCode } from '../../../src/lib/errors';

describe('error code registry', () => {
  it('gives every AppError the HTTP status registered for its code', () => {
    expect(new AppError('conference_not_found', 'x').status).to.equal(404);
    expect(new AppError('mixer_unavailable', 'x').status).to.equal(503);
    expect(new AppError('definition_exists', 'x', { field: 'number' }).details).to.deep.equal({ field: 'number' });
  });

  it('registers only statuses the API can answer with, and knows its own codes', () => {
    for (const status of Object.values(ERROR_CODES)) expect(status).to.be.within(400, 599);
    expect(isErrorCode('forbidden')).to.equal(true);
    expect(isErrorCode('conference_locked')).to.equal(false);
    expect(isErrorCode('toString')).to.equal(false);
  });
});

import type { FastifyError, FastifyInstance } from 'fastify';
import { isAppError, type ErrorCode } from '../lib/errors';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** One place maps every failure to a JSON answer: AppError codes, schema failures (naming the field), body limits. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation && error.validation.length > 0) {
      const first = error.validation[0]!;
      const params = first.params;
      const base = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const extra =
        typeof params.missingProperty === 'string'
          ? params.missingProperty
          : typeof params.additionalProperty === 'string'
            ? params.additionalProperty
            : '';
      const field = [error.validationContext, base, extra].filter(Boolean).join('.');
      const body: ErrorBody = {
        error: { code: 'invalid_request', message: `${field || 'request'}: ${first.message ?? 'is invalid'}`, field },
      };
      return reply.code(400).send(body);
    }
    if (isAppError(error)) {
      const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
      const status = error.status >= 400 && error.status < 600 ? error.status : 500;
      if (status === 401) void reply.header('www-authenticate', 'Bearer');
      const body: ErrorBody = { error: { code: error.code, message: error.message, ...(field ? { field } : {}) } };
      return reply.code(status).send(body);
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    const code =
      status === 413
        ? 'body_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status === 400
            ? 'invalid_request'
            : status === 500
              ? 'internal'
              : 'request_failed';
    const body: ErrorBody = { error: { code, message: status === 500 ? 'internal error' : error.message } };
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` } };
    return reply.code(404).send(body);
  });
}

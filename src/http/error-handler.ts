import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, isAppError } from '../errors/app-error.js';
import type { Metrics } from '../metrics/metrics.js';
import { trackRouteMethods } from './method-not-allowed.js';

/** Fastify's own 4xx errors, mapped onto our stable codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PayloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UnsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.ValidationFailed,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.ValidationFailed,
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.ValidationFailed,
  FST_ERR_VALIDATION: ErrorCode.ValidationFailed,
};

export function toAppError(err: FastifyError | Error): AppError {
  if (isAppError(err)) return err;
  const fastifyErr = err as FastifyError;
  if (fastifyErr.validation) {
    // Text over its size limit is a payload problem (413), like a body over the body limit.
    const tooLong = fastifyErr.validation.some((v) => v.keyword === 'maxLength' && v.instancePath === '/text');
    return new AppError(tooLong ? ErrorCode.PayloadTooLarge : ErrorCode.ValidationFailed, describeValidation(fastifyErr));
  }
  if (fastifyErr.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new AppError(
      ErrorCode.UnsupportedMediaType,
      `${fastifyErr.message}: send the body as JSON with the header content-type: application/json`,
    );
  }
  const mapped = fastifyErr.code ? FASTIFY_CODES[fastifyErr.code] : undefined;
  if (mapped) return new AppError(mapped, fastifyErr.message);
  // JSON.parse failures surface as a SyntaxError with statusCode 400.
  if (fastifyErr.statusCode && fastifyErr.statusCode >= 400 && fastifyErr.statusCode < 500) {
    return new AppError(ErrorCode.ValidationFailed, err instanceof SyntaxError ? 'malformed JSON body' : fastifyErr.message);
  }
  return new AppError(ErrorCode.Internal, 'internal error', { cause: err });
}

/**
 * Fastify's validation message, made specific where Ajv's is not: an unknown field is named
 * (`body has an unknown field "colour"`), so a client can see which one to drop.
 */
function describeValidation(err: FastifyError): string {
  const first = err.validation?.[0];
  const extra = first?.keyword === 'additionalProperties' ? (first.params as { additionalProperty?: unknown }).additionalProperty : undefined;
  if (typeof extra === 'string') {
    const where = `${err.validationContext ?? 'body'}${first!.instancePath.replaceAll('/', '.')}`;
    return `${where} has an unknown field "${extra.slice(0, 64)}"`;
  }
  // A key that breaks a propertyNames rule (metadata keys) is named, with the rule.
  const badName = err.validation?.find((v) => v.keyword === 'propertyNames');
  const name = (badName?.params as { propertyName?: unknown } | undefined)?.propertyName;
  if (badName && typeof name === 'string') {
    const where = `${err.validationContext ?? 'body'}${badName.instancePath.replaceAll('/', '.')}`;
    const rule = err.validation?.find((v) => v.keyword === 'pattern' && (v as { propertyName?: string }).propertyName === name);
    const pattern = (rule?.params as { pattern?: string } | undefined)?.pattern;
    return `${where} has an invalid key ${JSON.stringify(name.slice(0, 64))}${pattern ? `: keys must match ${pattern}` : ''}`;
  }
  return err.message;
}

/** The one place errors become responses: `{code, detail, request_id}`; 5xx details stay in the log. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appError = toAppError(err);
    countError(request.server.metrics, appError);
    if (appError.statusCode >= 500) {
      request.log.error({ err, code: appError.code }, 'request failed');
    } else {
      request.log.info({ code: appError.code, status: appError.statusCode }, 'request rejected');
    }
    if (appError.retryAfter !== undefined) reply.header('retry-after', String(appError.retryAfter));
    return reply.status(appError.statusCode).send({
      code: appError.code,
      detail: appError.detail,
      request_id: request.id,
      ...appError.fields,
    });
  });

  const allowedMethods = trackRouteMethods(app);
  // A static path asked with a method only a parametric route answers (`GET /api/v1/memory/query`
  // reaching `GET /:id`) is a method the path does not allow, not a malformed id: 405 with Allow.
  app.addHook('onRequest', async (request, reply) => {
    if (!/[:*]/.test(request.routeOptions.url ?? '')) return;
    const allowed = allowedMethods.staticOnly(request.url);
    if (allowed.length === 0 || allowed.includes(request.method)) return;
    return reply
      .status(405)
      .header('allow', allowed.join(', '))
      .send({ code: ErrorCode.MethodNotAllowed, detail: `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`, request_id: request.id });
  });
  app.setNotFoundHandler((request, reply) => {
    const allowed = allowedMethods(request.url);
    // A route of this method that found nothing (a missing file under /console/) is a plain 404.
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send({ code: ErrorCode.MethodNotAllowed, detail: `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`, request_id: request.id });
    }
    return reply.status(404).send({ code: ErrorCode.NotFound, detail: 'route not found', request_id: request.id });
  });
}

function countError(metrics: Metrics | undefined, err: AppError) {
  if (!metrics) return;
  metrics.errors.inc({ code: err.code });
  // The details of these two are a small fixed set of phrases: safe as labels.
  if (err.code === ErrorCode.Unauthenticated) metrics.authFailures.inc({ reason: err.detail });
  if (err.code === ErrorCode.DecryptFailed) metrics.decryptFailures.inc();
}

/**
 * Errors the router raises before any route or hook runs (a malformed percent-encoding, a path
 * parameter over the router's length limit): Fastify would answer them in its own body, echoing the
 * path. Passed to Fastify as `frameworkErrors` so they get ours, without the path.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const detail = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'malformed URL';
  request.log.info({ code: ErrorCode.ValidationFailed, fastifyCode: err.code }, 'request rejected');
  void reply
    .status(400)
    .header('x-request-id', request.id)
    .send({ code: ErrorCode.ValidationFailed, detail, request_id: request.id });
}

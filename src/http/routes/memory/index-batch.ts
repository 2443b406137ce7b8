import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ErrorObject } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { Scope } from '../../../auth/token-verifier.js';
import { type AppError, Errors } from '../../../errors/app-error.js';
import { Limits } from '../../../memory/limits.js';
import { errorResponses } from '../../schemas/common.js';
import { BatchBody, BatchEnvelope, BatchItem, BatchResponse } from '../../schemas/batch.js';
import { actingUser } from '../../plugins/auth.js';
import { compileBodyValidator, validatorCompiler } from '../../validation.js';
import type { MemoryRoutesOptions } from './index.js';
import { toIndexInput } from './index-memory.js';

const validItem = compileBodyValidator(BatchItem);

/** The first schema error of item `index` as the error /index would answer for that body. */
function itemError(index: number, errors: ErrorObject[] | null | undefined): AppError {
  const where = `items[${index}]`;
  const first = errors?.[0];
  if (!first) return Errors.validation(`${where} is not valid`);
  if (first.keyword === 'maxLength' && first.instancePath === '/text') {
    return Errors.payloadTooLarge(`${where}.text must be at most ${Limits.textBytes} bytes`);
  }
  const extra = first.keyword === 'additionalProperties' ? (first.params as { additionalProperty?: unknown }).additionalProperty : undefined;
  if (typeof extra === 'string') return Errors.validation(`${where} has an unknown field "${extra.slice(0, 64)}"`);
  return Errors.validation(`${where}${first.instancePath.replaceAll('/', '.')} ${first.message ?? 'is not valid'}`);
}

/** What the rate limiter charges: one per item of a well-formed batch, else one (refused before any work). */
export function batchCost(request: FastifyRequest): number {
  const items = (request.body as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) && items.length >= 1 && items.length <= Limits.batchItems ? items.length : 1;
}

export function indexBatchRoute(app: FastifyInstance, { memory, entities, entitiesOnIngest }: MemoryRoutesOptions) {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/index/batch',
    {
      bodyLimit: Limits.batchBodyBytes,
      config: { rateLimitCost: batchCost },
      // The document shows the full item schema; the body is validated as an envelope, the items one by one.
      validatorCompiler: (route) => validatorCompiler(route.httpPart === 'body' ? { ...route, schema: BatchEnvelope } : route),
      schema: {
        operationId: 'indexMemoryBatch',
        summary: `Ingest up to ${Limits.batchItems} memories for one user in one request; each item is reported on its own`,
        tags: ['memory'],
        body: BatchBody,
        response: { 200: BatchResponse, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof BatchEnvelope>;
      const userId = actingUser(request, Scope.Write, body.user_id);
      const inputs = body.items.map((item, index) =>
        validItem(item) ? toIndexInput(userId, item as Static<typeof BatchItem>) : itemError(index, validItem.errors),
      );
      const outcomes = await memory.indexBatch(userId, inputs);
      let stored = 0;
      let deduplicated = 0;
      const results = outcomes.map((outcome, index) => {
        if (!outcome.ok) {
          const { error } = outcome;
          if (error.statusCode >= 500) request.log.error({ err: error.cause ?? error, item: index, code: error.code }, 'batch item failed');
          return { index, status: error.statusCode, error: { code: error.code, detail: error.detail } };
        }
        const r = outcome.result;
        if (r.deduplicated) deduplicated++;
        else stored++;
        return {
          index,
          status: r.deduplicated ? 200 : 201,
          memory_id: r.memoryId,
          chunk_ids: r.chunkIds,
          chunk_count: r.chunkIds.length,
          created_at: r.createdAt.toISOString(),
          updated_at: r.updatedAt.toISOString(),
          expires_at: r.expiresAt?.toISOString() ?? null,
          deduplicated: r.deduplicated,
        };
      });
      if (entitiesOnIngest) {
        for (const [index, outcome] of outcomes.entries()) {
          if (!outcome.ok || outcome.result.deduplicated) continue;
          const { memoryId, chunkIds } = outcome.result;
          // Committed; a failure here leaves the memory without graph rows, not unstored.
          await entities.ingested(userId, memoryId, (inputs[index] as { text: string }).text, chunkIds).catch((err: unknown) => {
            request.log.warn({ err, event: 'entities_on_ingest_failed' }, 'entity extraction on ingest failed');
          });
        }
      }
      return { items: results, stored, deduplicated, failed: outcomes.length - stored - deduplicated };
    },
  );
}

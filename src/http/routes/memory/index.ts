import type { FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../../../auth/token-verifier.js';
import type { EntityService } from '../../../entities/entity-service.js';
import type { MemoryService } from '../../../memory/memory-service.js';
import { authPlugin } from '../../plugins/auth.js';
import { deleteMemoryRoute } from './delete-memory.js';
import { eraseUserRoute } from './erase-user.js';
import { exportMemoriesRoute } from './export-memories.js';
import { extractEntitiesRoute } from './extract-entities.js';
import { getEntityRoute } from './get-entity.js';
import { getGraphRoute } from './get-graph.js';
import { getMemoryRoute } from './get-memory.js';
import { indexMemoryRoute } from './index-memory.js';
import { indexBatchRoute } from './index-batch.js';
import { listMemoriesRoute } from './list-memories.js';
import { queryMemoryRoute } from './query-memory.js';
import { summarizeMemoriesRoute } from './summarize-memories.js';
import type { SummarizeService } from '../../../summarize/summarize-service.js';
import type { UpdateService } from '../../../lifecycle/update.js';
import { updateMemoryRoute } from './update-memory.js';

export interface MemoryRoutesOptions {
  memory: MemoryService;
  verifier: TokenVerifier;
  entities: EntityService;
  /** ENTITIES_ON_INGEST: POST /index also adds the memory to the knowledge graph. */
  entitiesOnIngest: boolean;
  summarizer: SummarizeService;
  /** PATCH /:id (src/lifecycle/update.ts). */
  updates: UpdateService;
}

/** /api/v1/memory: every route behind the bearer token (the auth hook is scoped to this plugin). */
export async function memoryRoutes(app: FastifyInstance, opts: MemoryRoutesOptions) {
  await app.register(authPlugin, { verifier: opts.verifier });
  indexMemoryRoute(app, opts);
  indexBatchRoute(app, opts);
  queryMemoryRoute(app, opts);
  summarizeMemoriesRoute(app, opts);
  exportMemoriesRoute(app, opts);
  extractEntitiesRoute(app, opts);
  getEntityRoute(app, opts);
  getGraphRoute(app, opts);
  listMemoriesRoute(app, opts);
  eraseUserRoute(app, opts);
  getMemoryRoute(app, opts);
  deleteMemoryRoute(app, opts);
  updateMemoryRoute(app, opts);
}

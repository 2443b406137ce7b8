export { EngramClient } from './client.js';
export type {
  AddOptions,
  BatchItem,
  BatchRequest,
  BatchResponse,
  EngramClientOptions,
  EntitiesRequest,
  EntitiesResponse,
  EntityLookup,
  EraseResponse,
  ExportedMemory,
  IndexRequest,
  IndexResponse,
  ListOptions,
  Memory,
  MemoryPage,
  MemoryUpdate,
  MemorySummary,
  QueryRequest,
  QueryResponse,
  SearchFilters,
  SearchOptions,
  SearchResult,
  SummarizeRequest,
  SummarizeResponse,
  UpdateRequest,
  UserOptions,
} from './client.js';
export { EngramError } from './errors.js';
export type { CallOptions, FetchLike } from './transport.js';
export type { components, operations, paths } from './openapi.js';

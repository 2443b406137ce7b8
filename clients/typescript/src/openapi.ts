/**
 * Generated from openapi.v1.json by openapi-typescript (npm run client:generate). Do not edit.
 */

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the database answers, the embedding model is loaded, and Redis answers when configured */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/index": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Ingest text for a user: chunk, embed, encrypt and store it */
        post: operations["indexMemory"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/index/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Ingest up to 100 memories for one user in one request; each item is reported on its own */
        post: operations["indexMemoryBatch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/query": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Hybrid search over one user's memories (vector + blind keyword index, optional rerank) */
        post: operations["queryMemory"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/summarize": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A summary of one user's memories (by ids, a query or a time range), each sentence with its sources
         * @description Extractive by default (offline: sentence embeddings, centroid + TextRank salience, MMR). With an LLM configured, method auto or llm asks it, and falls back to extractive (fallback_reason) on failure.
         */
        post: operations["summarizeMemories"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** All of a user's memories, decrypted, as NDJSON (one memory per line, newest first) */
        get: operations["exportMemories"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/entities": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One entity of the user's graph by exact name, its relationships and the memories that mention it */
        get: operations["getEntity"];
        put?: never;
        /** Entities and relationships in a text or in a user's memories; persist=true adds them to the user's graph */
        post: operations["extractEntities"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/graph": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The user's entity graph: the most mentioned entities and the relationships among them */
        get: operations["getGraph"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A page of a user's memories, newest first */
        get: operations["listMemories"];
        put?: never;
        post?: never;
        /** Erase everything of one user: destroy the user's data key, then delete the rows */
        delete: operations["eraseUser"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One memory, decrypted */
        get: operations["getMemory"];
        put?: never;
        post?: never;
        /** Delete one memory and its chunks */
        delete: operations["deleteMemory"];
        options?: never;
        head?: never;
        /** Change a memory: its text (re-chunked, re-embedded, re-indexed atomically), source, metadata or expiry */
        patch: operations["updateMemory"];
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description An error: a stable code, a human-readable detail and the request id */
        ErrorBody: {
            /** @description Stable machine-readable code, e.g. VALIDATION_FAILED */
            code: string;
            detail: string;
            request_id: string;
            /** @description Only with 409 DUPLICATE_MEMORY: the memory of this user that already has the text */
            memory_id?: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: string;
                        checks?: {
                            [key: string]: string;
                        };
                    };
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: string;
                        checks?: {
                            [key: string]: string;
                        };
                    };
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: string;
                        checks?: {
                            [key: string]: string;
                        };
                    };
                };
            };
        };
    };
    indexMemory: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The end user; defaults to the token's subject (another user needs memory:relay) */
                    user_id?: string;
                    /** @description At most 51200 bytes of UTF-8 */
                    text: string;
                    /** @description Where the memory came from, e.g. "chat" */
                    source?: string;
                    /** @description A JSON object, at most 10240 bytes and 5 levels deep; stored unencrypted (filterable) */
                    metadata?: {
                        [key: string]: unknown;
                    };
                    /** @description When the memory expires; null: never (overrides the default TTL) */
                    expires_at?: string | null;
                    /** @description Expire this many seconds from now (instead of expires_at) */
                    ttl_seconds?: number;
                    /** @description Return the existing memory when the user already has this text (default true); false stores a copy */
                    dedup?: boolean;
                    /**
                     * Format: date-time
                     * @description For imports: when the memory was created (default now); not in the future
                     */
                    created_at?: string;
                    /**
                     * Format: date-time
                     * @description For imports: when the memory was last changed (default created_at); not before created_at
                     */
                    updated_at?: string;
                };
            };
        };
        responses: {
            /** @description The user already had this text: the existing memory, deduplicated: true */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        memory_id: string;
                        chunk_ids: string[];
                        chunk_count: number;
                        /** Format: date-time */
                        created_at: string;
                        /** Format: date-time */
                        updated_at: string;
                        expires_at: string | null;
                        /** @description true: the user already had this text; this is the existing memory */
                        deduplicated: boolean;
                    };
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        memory_id: string;
                        chunk_ids: string[];
                        chunk_count: number;
                        /** Format: date-time */
                        created_at: string;
                        /** Format: date-time */
                        updated_at: string;
                        expires_at: string | null;
                        /** @description true: the user already had this text; this is the existing memory */
                        deduplicated: boolean;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    indexMemoryBatch: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The end user of every item; defaults to the token's subject */
                    user_id?: string;
                    /** @description 1 to 100 memories; each is checked on its own and a bad one is reported, not fatal */
                    items: {
                        /** @description At most 51200 bytes of UTF-8 */
                        text: string;
                        /** @description Where the memory came from, e.g. "chat" */
                        source?: string;
                        /** @description A JSON object, at most 10240 bytes and 5 levels deep; stored unencrypted (filterable) */
                        metadata?: {
                            [key: string]: unknown;
                        };
                        /** @description When the memory expires; null: never (overrides the default TTL) */
                        expires_at?: string | null;
                        /** @description Expire this many seconds from now (instead of expires_at) */
                        ttl_seconds?: number;
                        /** @description Return the existing memory when the user already has this text (default true); false stores a copy */
                        dedup?: boolean;
                        /**
                         * Format: date-time
                         * @description For imports: when the memory was created (default now); not in the future
                         */
                        created_at?: string;
                        /**
                         * Format: date-time
                         * @description For imports: when the memory was last changed (default created_at); not before created_at
                         */
                        updated_at?: string;
                    }[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            /** @description Position of the item in the request */
                            index: number;
                            /** @description What /index would have answered: 201 stored, 200 deduplicated, else the error status */
                            status: number;
                            /** Format: uuid */
                            memory_id?: string;
                            chunk_ids?: string[];
                            /** @description As POST /index answers it */
                            chunk_count?: number;
                            /** Format: date-time */
                            created_at?: string;
                            /** Format: date-time */
                            updated_at?: string;
                            expires_at?: string | null;
                            deduplicated?: boolean;
                            error?: {
                                /** @description The stable code /index would answer with, e.g. VALIDATION_FAILED */
                                code: string;
                                detail: string;
                            };
                        }[];
                        /** @description Items stored as new memories */
                        stored: number;
                        /** @description Items the user already had (the existing memory is returned) */
                        deduplicated: number;
                        /** @description Items refused or not stored (see each item error) */
                        failed: number;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    queryMemory: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The end user; defaults to the token's subject (another user needs memory:relay) */
                    user_id?: string;
                    query: string;
                    /** @default 10 */
                    k?: number;
                    /** @description Drop results whose score is below this (see README: scores) */
                    min_score?: number;
                    /** @description Drop results whose relevance (the calibrated probability that it is relevant) is below this; 0.5: more likely relevant than not (README: relevance) */
                    min_relevance?: number;
                    /** @description Rerank the candidates (default: when the server has a reranker); false skips it */
                    rerank?: boolean;
                    filters?: {
                        /** @description Where the memory came from, e.g. "chat" */
                        source?: string;
                        /** @description A JSON object, at most 10240 bytes and 5 levels deep; stored unencrypted (filterable) */
                        metadata?: {
                            [key: string]: unknown;
                        };
                        /** Format: date-time */
                        created_after?: string;
                        /** Format: date-time */
                        created_before?: string;
                    };
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        results: {
                            /** Format: uuid */
                            memory_id: string;
                            /** Format: uuid */
                            chunk_id: string;
                            text: string;
                            /** @description Relevance, higher is better: the rerank score when reranked, else the fused score (README: scores) */
                            score: number;
                            /** @description The calibrated probability that this result is relevant to the query, the same scale on every path (README: relevance) */
                            relevance: number;
                            /** @description The parts of the score; null when that part did not see this result */
                            scores: {
                                vector: number | null;
                                keyword: number | null;
                                /** @description The fusion of vector and keyword: 0.3 · vector + 0.7 · keyword (vector alone without the keyword index) */
                                fused: number;
                                /** @description What conversation context added: a share of the lead of the best neighbouring candidate (0 when none) */
                                context: number;
                                rerank: number | null;
                            };
                            context_from: {
                                /** Format: uuid */
                                memory_id: string;
                                /** Format: uuid */
                                chunk_id: string;
                            } | null;
                            source: string | null;
                            metadata: {
                                [key: string]: unknown;
                            };
                            /** Format: date-time */
                            created_at: string;
                        }[];
                        /** @description Whether a reranker ordered and scored these results */
                        reranked: boolean;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    summarizeMemories: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Exactly one of memory_ids, query, or a time range (created_after and/or created_before). A time range takes its newest 200 memories. */
        requestBody: {
            content: {
                "application/json": {
                    /** @description The end user the memory belongs to */
                    user_id?: string;
                    /** @description Summarize these memories (at most 100); an id the user does not own is 404 */
                    memory_ids?: string[];
                    /** @description Summarize what this semantic query retrieves */
                    query?: string;
                    /** @description With query: how many chunks to retrieve (default 20) */
                    k?: number;
                    /**
                     * Format: date-time
                     * @description Time range: memories created at or after
                     */
                    created_after?: string;
                    /**
                     * Format: date-time
                     * @description Time range: memories created before
                     */
                    created_before?: string;
                    /** @enum {unknown} */
                    style?: "bullets" | "paragraph" | "tldr" | "timeline";
                    /** @enum {unknown} */
                    method?: "auto" | "extractive" | "llm";
                    /** @description Default 5 (tldr: 1) */
                    max_sentences?: number;
                    /** @description Length of summary at most; default 2000 (tldr: 300) */
                    max_chars?: number;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        summary: string;
                        /** @enum {unknown} */
                        style: "bullets" | "paragraph" | "tldr" | "timeline";
                        /** @enum {unknown} */
                        method: "extractive" | "llm";
                        /** @description Set when an LLM summary was asked for (method llm, or auto with an LLM configured) and the extractive one was returned */
                        fallback_reason: ("llm_not_configured" | "llm_timeout" | "llm_error" | "llm_circuit_open" | "llm_bad_output") | null;
                        /** @description One entry per summary sentence, in order */
                        sources: {
                            /** @description The summary sentence as it appears in summary (without list or date prefix) */
                            sentence: string;
                            memory_ids: string[];
                            chunk_ids: string[];
                            /**
                             * Format: date-time
                             * @description Earliest creation time among its sources
                             */
                            created_at: string;
                        }[];
                        /** @description Distinct memories the summary was made from */
                        memory_count: number;
                        /** @description More memories or sentences matched than one summary takes; the rest was left out */
                        truncated: boolean;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    exportMemories: {
        parameters: {
            query?: {
                /** @description The end user the memory belongs to */
                user_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getEntity: {
        parameters: {
            query: {
                /** @description The end user the memory belongs to */
                user_id?: string;
                /** @description Any name of the entity; case and possessive are ignored */
                name: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        entity: {
                            name: string;
                            /** @enum {string} */
                            type: "person" | "organization" | "place" | "date" | "money" | "quantity" | "email" | "url" | "event" | "product" | "animal";
                            mentions: number;
                        };
                        relationships: {
                            source: string;
                            /** @description The verb phrase ("work at"), or "mentioned with" for a co-occurrence */
                            predicate: string;
                            target: string;
                            /** @description The sentence it was read from */
                            evidence: string;
                            memory_id: string | null;
                            chunk_id: string | null;
                        }[];
                        /** @description The memories that mention the entity, newest first */
                        memories: {
                            /** Format: uuid */
                            memory_id: string;
                            chunk_ids: string[];
                            text: string;
                            /** Format: date-time */
                            created_at: string;
                        }[];
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    extractEntities: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Exactly one of text and memory_ids */
        requestBody: {
            content: {
                "application/json": {
                    /** @description The end user the memory belongs to */
                    user_id?: string;
                    /** @description Text to read; at most 51200 bytes of UTF-8 */
                    text?: string;
                    /** @description Stored memories of the user to read (another user's ids are NOT_FOUND) */
                    memory_ids?: string[];
                    /**
                     * @description Add what is found to the user's graph (needs memory:write)
                     * @default false
                     */
                    persist?: boolean;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        entities: {
                            name: string;
                            /** @enum {string} */
                            type: "person" | "organization" | "place" | "date" | "money" | "quantity" | "email" | "url" | "event" | "product" | "animal";
                            mentions: number;
                            salience: number;
                        }[];
                        relationships: {
                            source: string;
                            /** @description The verb phrase ("work at"), or "mentioned with" for a co-occurrence */
                            predicate: string;
                            target: string;
                            /** @description The sentence it was read from */
                            evidence: string;
                            memory_id: string | null;
                            chunk_id: string | null;
                        }[];
                        persisted: boolean;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getGraph: {
        parameters: {
            query?: {
                /** @description The end user the memory belongs to */
                user_id?: string;
                /** @description At most this many entities, the most mentioned first */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        entities: {
                            /** Format: uuid */
                            id: string;
                            name: string;
                            /** @enum {string} */
                            type: "person" | "organization" | "place" | "date" | "money" | "quantity" | "email" | "url" | "event" | "product" | "animal";
                            mentions: number;
                        }[];
                        /** @description Relationships whose both ends are among the entities; evidence: GET /entities?name= */
                        relationships: {
                            /** Format: uuid */
                            source_id: string;
                            /** Format: uuid */
                            target_id: string;
                            source: string;
                            /** @description The verb phrase ("work at"), or "mentioned with" for a co-occurrence */
                            predicate: string;
                            target: string;
                            memory_id: string | null;
                        }[];
                        /** @description The graph holds more entities or relationships than returned */
                        truncated: boolean;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    listMemories: {
        parameters: {
            query?: {
                /** @description The end user the memory belongs to */
                user_id?: string;
                cursor?: string;
                limit?: number;
                /** @description Only memories with this source */
                source?: string;
                /** @description Only memories whose metadata contains this JSON object (as the query filters: {"session_id":"s1"}), URL-encoded */
                metadata?: string;
                /** @description false: leave each memory's text out (a lighter page) */
                include_text?: boolean;
                /** @description Cut each text to at most this many characters (code points), never inside a grapheme cluster */
                max_text_chars?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        memories: {
                            /** Format: uuid */
                            memory_id: string;
                            /** @description Absent when the list was asked for include_text=false; always present in the export */
                            text?: string;
                            /** @description With max_text_chars: true when the text was cut (to whole grapheme clusters) */
                            text_truncated?: boolean;
                            source: string | null;
                            metadata: {
                                [key: string]: unknown;
                            };
                            chunk_count: number;
                            /** Format: date-time */
                            created_at: string;
                            /** Format: date-time */
                            updated_at: string;
                            expires_at: string | null;
                        }[];
                        next_cursor: string | null;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    eraseUser: {
        parameters: {
            query: {
                /** @description The end user the memory belongs to */
                user_id: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        memories_deleted: number;
                        key_destroyed: boolean;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    getMemory: {
        parameters: {
            query?: {
                /** @description The end user the memory belongs to */
                user_id?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        memory_id: string;
                        text: string;
                        source: string | null;
                        metadata: {
                            [key: string]: unknown;
                        };
                        chunk_ids: string[];
                        /** Format: date-time */
                        created_at: string;
                        /** Format: date-time */
                        updated_at: string;
                        expires_at: string | null;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    deleteMemory: {
        parameters: {
            query?: {
                /** @description The end user the memory belongs to */
                user_id?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    updateMemory: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The end user; defaults to the token's subject (another user needs memory:relay) */
                    user_id?: string;
                    /** @description The new text (at most 51200 bytes of UTF-8): re-chunked, re-embedded and re-indexed */
                    text?: string;
                    /** @description The new source; null clears it */
                    source?: string | null;
                    /** @description Replaces the whole metadata object (keys are not merged; {} clears it); at most 10240 bytes and 5 levels deep, stored unencrypted (filterable) */
                    metadata?: {
                        [key: string]: unknown;
                    };
                    /** @description When the memory expires (a future instant); null: never */
                    expires_at?: string | null;
                    /** @description Expire this many seconds from now (instead of expires_at) */
                    ttl_seconds?: number;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: uuid */
                        memory_id: string;
                        text: string;
                        source: string | null;
                        metadata: {
                            [key: string]: unknown;
                        };
                        chunk_ids: string[];
                        /** Format: date-time */
                        created_at: string;
                        /** Format: date-time */
                        updated_at: string;
                        expires_at: string | null;
                    };
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An error: a stable code, a human-readable detail and the request id */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
}

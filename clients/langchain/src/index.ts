export { EngramRetriever, type EngramDocumentMetadata, type EngramRetrieverInput, type EngramSearchFilters } from './retriever.js';
export { EngramChatMessageHistory, type EngramChatHistoryMetadata, type EngramChatMessageHistoryInput } from './chat-history.js';

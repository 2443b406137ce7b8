import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateClientTypes, TYPES_FILE } from '../../scripts/generate-client-types.js';

describe('TypeScript client types', () => {
  it('are what openapi-typescript generates from the committed openapi.v1.json (run npm run client:generate)', async () => {
    expect(readFileSync(TYPES_FILE, 'utf8')).toBe(await generateClientTypes());
  });
});

/**
 * Generates the TypeScript client's API types from the committed OpenAPI document with
 * openapi-typescript: `npm run client:generate`. test/unit/client-types.test.ts fails when the
 * committed file differs from what this produces, so the client and the API cannot drift apart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.v1.json', import.meta.url));
export const TYPES_FILE = fileURLToPath(new URL('../clients/typescript/src/openapi.ts', import.meta.url));

const HEADER = `/**
 * Generated from openapi.v1.json by openapi-typescript (npm run client:generate). Do not edit.
 */

`;

export async function generateClientTypes(): Promise<string> {
  const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Parameters<typeof openapiTS>[0];
  return HEADER + astToString(await openapiTS(document));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(TYPES_FILE, await generateClientTypes());
  console.log(`wrote ${TYPES_FILE}`);
}

/**
 * `npm run sbom:check`: the SBOM written by `npm run sbom` is a CycloneDX JSON document that names
 * every production dependency of package.json. Exits non-zero, naming what is wrong, otherwise.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../', import.meta.url);
const SBOM = fileURLToPath(new URL('sbom.cdx.json', ROOT));

interface Component {
  group?: string;
  name: string;
  version?: string;
  components?: Component[];
}

function fail(message: string): never {
  console.error(`sbom:check: ${message}`);
  process.exit(1);
}

/** CycloneDX npm puts a scope in `group` ("@fastify") and the rest in `name` ("swagger"). */
const fullName = (c: Component) => (c.group ? `${c.group}/${c.name}` : c.name);

/** Components nest (a package under the one whose node_modules holds it): walk them all. */
function* walk(components: Component[] = []): Generator<Component> {
  for (const c of components) {
    yield c;
    yield* walk(c.components);
  }
}

let text: string;
try {
  text = readFileSync(SBOM, 'utf8');
} catch (err) {
  fail(`cannot read ${SBOM} (run \`npm run sbom\` first): ${(err as Error).message}`);
}

let bom: { bomFormat?: unknown; specVersion?: unknown; components?: Component[] };
try {
  bom = JSON.parse(text);
} catch (err) {
  fail(`${SBOM} is not valid JSON: ${(err as Error).message}`);
}
if (bom.bomFormat !== 'CycloneDX') fail(`bomFormat is ${JSON.stringify(bom.bomFormat)}, expected "CycloneDX"`);
if (typeof bom.specVersion !== 'string' || !/^\d+\.\d+$/.test(bom.specVersion)) {
  fail(`specVersion is ${JSON.stringify(bom.specVersion)}, expected a version like "1.6"`);
}
if (!Array.isArray(bom.components)) fail('the BOM has no components array');

const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { dependencies?: Record<string, string> };
const wanted = Object.keys(pkg.dependencies ?? {});
const present = new Set([...walk(bom.components)].map(fullName));
const missing = wanted.filter((name) => !present.has(name));
if (missing.length > 0) {
  fail(`${missing.length} production dependencies are missing from the SBOM components: ${missing.join(', ')}`);
}
console.log(
  `sbom:check: ${SBOM} is CycloneDX ${bom.specVersion} with ${present.size} components, naming all ${wanted.length} production dependencies`,
);

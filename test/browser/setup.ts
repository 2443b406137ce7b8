import { clearScreenshots } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';

/**
 * The browser project's global setup: once before any of its files (they run in parallel), empty
 * test-output/console (what is there after a run is that run's) and build the console's assets into
 * dist/console (npm run build does it too; a few seconds). Built once: the build empties dist/console
 * first, so two at once would race.
 */
export default async function setup(): Promise<void> {
  clearScreenshots();
  await runCli('node', ['scripts/build-console.mjs']);
}

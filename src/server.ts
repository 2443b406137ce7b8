import closeWithGrace from 'close-with-grace';
import { buildAdminApp, buildApp } from './app.js';
import type { Config } from './config/schema.js';

/** Starts the HTTP service and closes it cleanly on SIGINT/SIGTERM. */
export async function startServer(config: Config, warnings: string[] = []): Promise<void> {
  const app = await buildApp(config);
  const admin = config.metricsPort === undefined ? undefined : await buildAdminApp(app.metrics);
  for (const warning of warnings) app.log.warn(warning);
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish (app.close() waits for them), and
  // exit within SHUTDOWN_GRACE_MS whatever happens (close-with-grace exits non-zero past the delay).
  closeWithGrace({ delay: config.timeouts.shutdownGraceMs }, async ({ err, signal }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await admin?.close();
    await app.close();
  });
  if (admin) {
    const metricsAddress = await admin.listen({ host: config.metricsHost, port: config.metricsPort });
    app.log.info(`metrics on ${metricsAddress}/metrics`);
  }
  const address = await app.listen({ host: config.host, port: config.port });
  // Deletes expired memories in the background (EXPIRY_SWEEP_INTERVAL_MS; 0: off); app.close() stops it.
  app.expirySweeper.start();
  const tokenHint = config.jwt.secret
    ? 'get a token with: npm run -s engram -- token --user alice   (or: node dist/cli/main.js token --user alice)'
    : 'tokens come from your identity provider (JWT_PUBLIC_KEY / JWT_JWKS_URL)';
  const database =
    config.database.kind === 'postgres' && config.database.pooler === 'transaction' ? 'postgres through a transaction-mode pooler' : config.database.kind;
  app.log.info(`Engram listening on ${address} (${database}); ${tokenHint}`);
  if (config.consoleEnabled) {
    const signIn = config.jwt.secret ? '; a sign-in link: npm run -s engram -- console --user alice' : '';
    app.log.info(`web console on ${address}/console/${signIn}`);
  }
}

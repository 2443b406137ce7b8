import pg from 'pg';
import { KEYWORD_TERMS_VERSION } from '../search/keyword/terms.js';
import { APP_ROLE, TENANT_TABLES } from '../store/database.js';
import { check, expectThat, type CheckResult } from './check.js';
import { topologyChecks } from './citus-checks.js';

/** Phase 4A: the schema's isolation guarantees, read from the catalog (and one tamper test). */
export async function databaseChecks(databaseUrl: string): Promise<{ results: CheckResult[]; client: pg.Client }> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'engram-verify' });
  await client.connect();
  const results = [
    await check('4A', 'rls-forced', async () => {
      const { rows } = await client.query<{ relname: string; on: boolean; forced: boolean }>(
        `SELECT relname, relrowsecurity AS on, relforcerowsecurity AS forced FROM pg_class
          WHERE relname = ANY($1) AND relkind = 'r' AND relnamespace = 'public'::regnamespace`,
        [TENANT_TABLES],
      );
      const bad = TENANT_TABLES.filter((t) => !rows.some((r) => r.relname === t && r.on && r.forced));
      expectThat(bad.length === 0, `RLS not enabled and forced on: ${bad.join(', ')}`);
      return `RLS enabled and forced on ${TENANT_TABLES.join(', ')}`;
    }),
    await check('4A', 'rls-policies', async () => {
      const { rows } = await client.query<{ relname: string; cmds: string[] }>(
        `SELECT c.relname, ARRAY(SELECT p.polcmd::text FROM pg_policy p WHERE p.polrelid = c.oid
                                  AND pg_get_expr(p.polqual, p.polrelid) IS DISTINCT FROM 'true'
                                ORDER BY 1) AS cmds
           FROM pg_class c WHERE c.relname = ANY($1) AND c.relnamespace = 'public'::regnamespace`,
        [TENANT_TABLES],
      );
      const want = ['a', 'd', 'r', 'w'];
      const bad = TENANT_TABLES.filter((t) => want.some((cmd) => !rows.find((r) => r.relname === t)?.cmds.includes(cmd)));
      expectThat(bad.length === 0, `missing select/insert/update/delete policies on: ${bad.join(', ')}`);
      return 'select, insert, update and delete policies on every tenant table';
    }),
    await check('4A', 'app-role', async () => {
      const { rows } = await client.query<{ rolsuper: boolean; rolbypassrls: boolean; owns: number }>(
        `SELECT rolsuper, rolbypassrls, (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS owns
           FROM pg_roles r WHERE rolname = $1`,
        [APP_ROLE],
      );
      const role = rows[0];
      expectThat(role, `role ${APP_ROLE} does not exist`);
      expectThat(!role.rolsuper && !role.rolbypassrls, `${APP_ROLE} is a superuser or bypasses RLS`);
      expectThat(role.owns === 0, `${APP_ROLE} owns ${role.owns} relations (an owner can disable RLS)`);
      return `${APP_ROLE} is not a superuser, does not bypass RLS, owns nothing`;
    }),
    await check('4A', 'indexes', async () => {
      const { rows } = await client.query<{ indexname: string; indexdef: string }>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1)`,
        [TENANT_TABLES],
      );
      const hnsw = rows.find((r) => /USING hnsw/i.test(r.indexdef) && /vector_cosine_ops/.test(r.indexdef));
      expectThat(hnsw, 'no HNSW cosine index on memory_chunks (run engram migrate)');
      for (const table of ['memories', 'memory_chunks']) {
        expectThat(
          rows.some((r) => r.indexdef.includes(`ON public.${table} USING btree (user_hash`)),
          `no user_hash index on ${table}`,
        );
      }
      return `${rows.length} indexes, including ${hnsw.indexname} and the user_hash indexes`;
    }),
    await check('4A', 'keyword-terms', async () => {
      const { rows } = await client.query<{ behind: number; users: number }>(
        `SELECT count(*) FILTER (WHERE keyword_terms < $1)::int AS behind, count(*)::int AS users FROM user_keys`,
        [KEYWORD_TERMS_VERSION],
      );
      const { behind, users } = rows[0]!;
      expectThat(
        behind === 0,
        `${behind} of ${users} users have a keyword index built by older term rules: run engram reindex (docs/OPERATIONS.md)`,
      );
      return `every keyword index (${users} users visible to this login) built by term rules v${KEYWORD_TERMS_VERSION}`;
    }),
    ...(await topologyChecks(client)),
  ];
  return { results, client };
}

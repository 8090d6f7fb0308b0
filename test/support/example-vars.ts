import { randomBytes } from 'node:crypto';
import { TEST_REDIS_URL } from './test-env.js';

/**
 * The environment examples/*.ops.yml reference: `databaseUrl` for every service's database, the admin APIs
 * on `host`, and each service's own base URL as `urlOf` names it (a path per service, or one for all).
 */
export function exampleVars(
  host: string,
  databaseUrl: string,
  urlOf: (service: string) => string,
): Record<string, string> {
  const key = () => randomBytes(32).toString('base64');
  return {
    BENTHAM_URL: urlOf('bentham'),
    BENCHCODE_URL: urlOf('benchcode'),
    BENCHCODE_PYTHON_SERVICE_URL: urlOf('inference'),
    ABRM_URL: urlOf('abrm'),
    AI_BENCHMARK_URL: urlOf('ai-benchmark'),
    REDMINE_RAG_URL: urlOf('redmine-rag'),
    BENTHAM_DATABASE_URL: databaseUrl,
    BENTHAM_REDIS_URL: TEST_REDIS_URL,
    BENCHCODE_DATABASE_URL: databaseUrl,
    ABRM_DATABASE_URL: databaseUrl,
    AI_BENCHMARK_DATABASE_URL: databaseUrl,
    AI_BENCHMARK_STAGING_DATABASE_URL: databaseUrl,
    AI_BENCHMARK_REDIS_URL: TEST_REDIS_URL,
    AI_BENCHMARK_BACKUP_KEY: key(),
    BENCHCODE_ADMIN_HOST: host,
    BENCHCODE_ADMIN_URL: `http://${host}`,
    BENCHCODE_ADMIN_TOKEN: 'benchcode-token',
    BENCHCODE_BACKUP_KEY: key(),
    ABRM_BACKUP_KEY: key(),
    REDMINE_RAG_HOST: host,
    REDMINE_RAG_TOKEN: 'rag-token',
  };
}

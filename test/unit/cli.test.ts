import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BROKEN = fileURLToPath(new URL('../fixtures/broken.ops.yml', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/bentham.ops.yml', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `opsbot config check` from the sources with OPSBOT_CONFIG and extra env set; never rejects. */
async function configCheck(config: string, extraEnv: Record<string, string> = {}): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, OPSBOT_CONFIG: config, ...extraEnv };
  delete env.OPSBOT_TEST_UNSET_DATABASE_URL;
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'config', 'check'],
      {
        cwd: ROOT,
        env,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('opsbot config check', () => {
  it('exits non-zero on a broken ops.yml and lists every problem with its YAML path and line', async () => {
    const { code, stdout, stderr } = await configCheck(BROKEN);
    expect(code).not.toBe(0);
    expect(stdout).not.toContain('is valid');
    expect(stderr).toContain(`${BROKEN} has`);
    const expected: [string, RegExp][] = [
      ['workspace.colour', /is not a known key/],
      ['roles.superuser', /is not a known key/],
      ['services.bentham.databases.main.url', /\$\{OPSBOT_TEST_UNSET_DATABASE_URL\}, which is not set/],
      ['services.bentham.databases.replica.url', /literal password/],
      ['services.bentham.databases.archive.url', /placeholder/],
      ['services.bentham.health[0].url', /plain HTTP on a production service/],
      ['services.bentham.actions.retry.database', /names no database of this service/],
      ['services.bentham.actions.retry.run', /uses :owner, which is not a declared param/],
      ['services.bentham.actions.help', /built-in \/ops verb/],
    ];
    const lines = stderr.split('\n').filter((line) => line.startsWith('  - '));
    for (const [path, message] of expected) {
      const line = lines.find(
        (candidate) => candidate.startsWith(`  - ${path} (line `) && message.test(candidate),
      );
      expect(line, `stderr has no line for ${path} matching ${message}:\n${stderr}`).toBeDefined();
    }
    expect(stderr).toMatch(/has \d+ problems:/);
    expect(stderr).not.toContain('hunter2');
    expect(stderr).not.toMatch(/\n\s+at /); // a ConfigError is printed without a stack
  });

  it('exits 0 on the Bentham example when its database and API URLs are set', async () => {
    const { code, stdout } = await configCheck(EXAMPLE, {
      BENTHAM_DATABASE_URL: 'postgres://opsbot:Pa55word@db.internal:5432/bentham',
      BENTHAM_URL: 'https://api.bentham.example',
      BENTHAM_REDIS_URL: 'redis://redis.bentham.example:6379',
    });
    expect(code).toBe(0);
    expect(stdout).toContain('is valid: 1 services, 15 actions.');
    expect(stdout).not.toContain('Pa55word');
  });

  it('exits non-zero when the example references an unset env variable', async () => {
    const { code, stderr } = await configCheck(EXAMPLE, { BENTHAM_DATABASE_URL: '' });
    expect(code).not.toBe(0);
    expect(stderr).toContain('services.bentham.databases.main.url');
    expect(stderr).toContain('${BENTHAM_DATABASE_URL}, which is not set');
  });

  it('exits non-zero when the config file does not exist', async () => {
    const { code, stderr } = await configCheck(`${ROOT}test/fixtures/does-not-exist.ops.yml`);
    expect(code).not.toBe(0);
    expect(stderr).toContain('file not found');
  });
});

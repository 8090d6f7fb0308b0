import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';
import { cronPatternProblem } from '../../../src/digest/cron-pattern.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A config whose digest schedules and time zone are the given strings. */
function configWith(daily: string, weekly: string, timezone = 'Europe/London'): string {
  return [
    'workspace:',
    '  ops_channel: C0OPS',
    `  timezone: ${JSON.stringify(timezone)}`,
    'digest:',
    `  schedule: ${JSON.stringify(daily)}`,
    '  weekly:',
    `    schedule: ${JSON.stringify(weekly)}`,
    '',
  ].join('\n');
}

function issuesOf(text: string): ConfigError['issues'] {
  try {
    parseOpsConfig(text, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('digest schedules in ops.yml', () => {
  it('accepts five fields, six with seconds, and @ aliases', () => {
    for (const pattern of ['0 9 * * 1-5', '0 9 * * MON-FRI', '*/2 * * * * *', '@daily']) {
      expect(cronPatternProblem(pattern), pattern).toBeUndefined();
    }
    const config = parseOpsConfig(configWith('0 8 * * 1-5', '0 9 * * 1'), {});
    expect(config.digest?.weekly?.schedule).toBe('0 9 * * 1');
    expect(config.workspace.timezone).toBe('Europe/London');
  });

  it('reports a bad pattern in digest.schedule and in digest.weekly.schedule with path and line', () => {
    const issues = issuesOf(configWith('0 25 * * *', 'every monday'));
    expect(issues).toEqual([
      {
        path: 'digest.schedule',
        line: 5,
        message: expect.stringMatching(
          /^is not a cron pattern the digest scheduler accepts \(.*0-23.*\); use five fields .* such as "0 9 \* \* 1-5"$/,
        ),
      },
      {
        path: 'digest.weekly.schedule',
        line: 7,
        message: expect.stringMatching(/^has 2 fields; use five fields \(minute hour day-of-month month/),
      },
    ]);
  });

  it('refuses too few fields, which the parser would quietly pad, and impossible dates', () => {
    expect(cronPatternProblem('0 9 * *')).toMatch(/^has 4 fields;/);
    expect(cronPatternProblem('0 0 31 2 *')).toMatch(/^is not a cron pattern the digest scheduler accepts/);
  });

  it('reports a workspace.timezone that is not an IANA zone', () => {
    for (const zone of ['Mars/Olympus', '+01:00', '']) {
      expect(issuesOf(configWith('0 9 * * *', '0 9 * * 1', zone)), zone).toEqual([
        {
          path: 'workspace.timezone',
          line: 3,
          message: 'must be an IANA time zone such as Europe/London or UTC',
        },
      ]);
    }
  });
});

describe('opsbot config check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'opsbot-digest-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists bad digest schedules with their YAML path and line, without starting anything', async () => {
    const file = join(dir, 'ops.yml');
    await writeFile(file, configWith('61 9 * * *', '0 9 * *'));
    const outcome = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'config', 'check'], {
      cwd: ROOT,
      env: { ...process.env, OPSBOT_CONFIG: file },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain(`${file} has 2 problems:`);
    const lines = outcome.stderr.split('\n').filter((line) => line.startsWith('  - '));
    expect(lines).toEqual([
      expect.stringMatching(
        /^ {2}- digest\.schedule \(line 5\): is not a cron pattern the digest scheduler accepts \(.*59.*\); use five fields/,
      ),
      expect.stringMatching(/^ {2}- digest\.weekly\.schedule \(line 7\): has 4 fields; use five fields/),
    ]);
  });
});

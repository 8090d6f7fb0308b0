import { describe, expect, it } from 'vitest';
import { Argv, argvParams, argvProblems, argvText, fillArgv } from '../../../src/actions/argv.js';
import { ParamsSchema } from '../../../src/actions/params.js';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';

/** Bentham's surface switch (runbook 001: `pnpm admin:surface disable openai-api`). */
const SURFACE = ['pnpm', 'admin:surface', 'disable', '{surface}'];
const specs = ParamsSchema.parse({
  surface: { type: 'string' },
  key: { type: 'string' },
  note: { type: 'string', optional: true },
});

/** The paths and messages of a template's problems with `specs`. */
function problemsOf(argv: string[]) {
  return argvProblems(argv, specs).map((problem) => ({ path: problem.path, message: problem.message }));
}

describe('Argv', () => {
  it('is a non-empty list of non-empty strings', () => {
    expect(Argv.safeParse(SURFACE).success).toBe(true);
    expect(Argv.safeParse([]).success).toBe(false);
    expect(Argv.safeParse(['pnpm', '']).success).toBe(false);
    expect(Argv.safeParse('pnpm admin:surface disable').success).toBe(false);
  });
});

describe('fillArgv', () => {
  it('keeps a hostile value inside its one element', () => {
    const value = `openai-api; rm -rf / $(id) \`whoami\` "quoted" 'single'\nsecond line && echo | cat > /etc/passwd`;
    const filled = fillArgv(SURFACE, { surface: value });
    expect(filled).toEqual(['pnpm', 'admin:surface', 'disable', value]);
  });

  it('fills a placeholder embedded in an element, which stays one element', () => {
    expect(
      fillArgv(['backup', '--key-id={key}', '--to={surface}.tar'], { key: 'a b', surface: 'x;y' }),
    ).toEqual(['backup', '--key-id=a b', '--to=x;y.tar']);
  });

  it('does not expand placeholders or replacement patterns inside a value', () => {
    expect(fillArgv(['echo', '{surface}', '{key}'], { surface: '{key}', key: "$& $' $1" })).toEqual([
      'echo',
      '{key}',
      "$& $' $1",
    ]);
  });

  it('writes integers as their digits and leaves unknown placeholders as written', () => {
    expect(fillArgv(['scale', '--replicas={n}', '{other}'], { n: 3 })).toEqual([
      'scale',
      '--replicas=3',
      '{other}',
    ]);
  });
});

describe('argvParams', () => {
  it('lists the params used, in order of first use, once each', () => {
    expect(argvParams(['a', '{b}', '--c={a}-{b}', '{Upper}', '{ spaced }'])).toEqual(['b', 'a']);
  });
});

describe('argvProblems', () => {
  it('finds none in a plain template using declared params', () => {
    expect(problemsOf(SURFACE)).toEqual([]);
    expect(problemsOf(['backup', '--key-id={key}', '--label=a|b', 'x>y'])).toEqual([]);
  });

  it('reports a placeholder that is not a declared param', () => {
    expect(problemsOf(['pnpm', 'admin:surface', '{mode}', '{surface}'])).toEqual([
      { path: ['command'], message: expect.stringContaining('{mode}') },
    ]);
  });

  it('reports an optional param used in the command', () => {
    expect(problemsOf(['echo', '--note={note}'])).toEqual([
      { path: ['params', 'note'], message: expect.stringContaining('may not be optional') },
    ]);
  });

  it.each([
    ['|'],
    ['||'],
    ['&&'],
    ['&'],
    [';'],
    ['>'],
    ['>>'],
    ['<'],
    ['2>&1'],
    ['>/dev/null'],
    ['2>/dev/null'],
    ['&>out.log'],
  ])('reports the shell operator %j at its position', (operator) => {
    expect(problemsOf(['pg_dump', 'benchmark_db', operator, 'gzip'])).toEqual([
      { path: ['command', 2], message: expect.stringContaining('without a shell') },
    ]);
  });

  it.each([['$(date +%F)'], ['`date`'], ['$HOME'], ['--out=/backups/${DAY}.sql']])(
    'reports the shell expansion %j',
    (element) => {
      expect(problemsOf(['pg_dump', element])).toEqual([
        { path: ['command', 1], message: expect.stringContaining('without a shell') },
      ]);
    },
  );

  it('reports a param handed to a shell as its script', () => {
    for (const argv of [
      ['sh', '-c', '{surface}'],
      ['/bin/bash', '-lc', 'pnpm admin:surface disable {surface}'],
      ['env', 'sh', '-ec', 'echo {surface}'],
    ]) {
      expect(problemsOf(argv)).toEqual([
        { path: ['command', argv.length - 1], message: expect.stringContaining('shell as its script') },
      ]);
    }
  });

  it("accepts a fixed script whose params come as the shell's arguments", () => {
    expect(
      problemsOf(['sh', '-c', 'pnpm admin:surface disable "$1" | tee /tmp/out', 'sh', '{surface}']),
    ).toEqual([]);
  });
});

describe('argvText', () => {
  it('quotes only what a shell would split, and keeps a newline on one line', () => {
    expect(argvText(fillArgv(SURFACE, { surface: 'openai-api' }))).toBe(
      'pnpm admin:surface disable openai-api',
    );
    expect(argvText(SURFACE)).toBe("pnpm admin:surface disable '{surface}'");
    expect(argvText(['psql', '-U', 'benchmark_user', '-c', 'VACUUM ANALYZE'])).toBe(
      "psql -U benchmark_user -c 'VACUUM ANALYZE'",
    );
    expect(argvText(['echo', "it's", ''])).toBe(`echo 'it'\\''s' ''`);
    expect(argvText(['echo', "a\nb 'c'\t\\"])).toBe(`echo $'a\\nb \\'c\\'\\t\\\\'`);
    expect(argvText(['echo', 'a\nb'])).not.toContain('\n');
  });
});

describe('opsbot config check', () => {
  it("reports an argv template's problems at their paths below the action", () => {
    // Bentham (runbook 001) as DESIGN §11 configures it; the piping into tee is the mistake.
    const text = `
workspace: { ops_channel: C0OPS }
roles:
  operator: { users: [U0ALICE] }
services:
  bentham:
    environment: production
    kubernetes: { context: prod, namespace: bentham-prod, deployments: [api-gateway, executor] }
    actions:
      disable-surface:
        kind: k8s.exec
        deployment: executor
        command: ["pnpm", "admin:surface", "{mode}", "{surface}", "|", "tee", "/tmp/out"]
        params:
          surface: { type: string, enum: [openai-api, anthropic-api, google-api] }
        role: operator
        risk: medium
`;
    let error: unknown;
    try {
      parseOpsConfig(text, {}, 'test.ops.yml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const action = 'services.bentham.actions.disable-surface';
    expect((error as ConfigError).issues.map(({ path, message }) => ({ path, message }))).toEqual([
      { path: `${action}.command`, message: expect.stringContaining('{mode}') },
      { path: `${action}.command[4]`, message: expect.stringContaining('without a shell') },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { knownSecrets, REDACTED, Redactor } from '../../../src/exec/redactor.js';

const DB_PASSWORD = 'S3cr3t/Pa55 word';
const redactor = new Redactor([DB_PASSWORD, 'abc', 'hunter22']);

describe('Redactor: configured secrets', () => {
  it('replaces every occurrence, and the URL-encoded form', () => {
    expect(redactor.redact(`pw=${DB_PASSWORD} again ${DB_PASSWORD}`)).toBe(
      `pw=${REDACTED} again ${REDACTED}`,
    );
    expect(redactor.redact(`url has ${encodeURIComponent(DB_PASSWORD)} in it`)).toBe(
      `url has ${REDACTED} in it`,
    );
    expect(redactor.redact('login hunter22 ok')).toBe(`login ${REDACTED} ok`);
  });

  it('ignores secrets too short to search for', () => {
    expect(redactor.redact('abc abcdef')).toBe('abc abcdef');
  });

  it('replaces a secret that contains another whole', () => {
    const nested = new Redactor(['token-1234', 'token-1234-extended']);
    expect(nested.redact('a token-1234-extended b')).toBe(`a ${REDACTED} b`);
  });

  it('finds each line of a multi-line secret (a PEM key) in output read line by line', () => {
    const key =
      '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkG5yQ0bJ1x2tqFQ\nAoGCCqGSM49AwEHoUQDQgAE\n-----END EC PRIVATE KEY-----';
    const pem = new Redactor([key]);
    expect(pem.redact('MHcCAQEEIBkG5yQ0bJ1x2tqFQ')).toBe(REDACTED);
    expect(pem.redact('  AoGCCqGSM49AwEHoUQDQgAE')).toBe(`  ${REDACTED}`);
  });
});

describe('Redactor: token shapes', () => {
  const none = new Redactor([]);
  it.each([
    ['Slack bot token', 'token=xoxb-1234567890-abcdefghij', 'token=[redacted]'],
    ['Slack app token', 'using xapp-1-A0123-4567-abcdef now', 'using [redacted] now'],
    ['GitHub token', 'GH ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'GH [redacted]'],
    ['AWS access key', 'key AKIAIOSFODNN7EXAMPLE used', 'key [redacted] used'],
    ['sk- key', 'OPENAI sk-proj-abcdefghijklmnopqrstuvwx1234', 'OPENAI [redacted]'],
    [
      'JWT',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'jwt [redacted]',
    ],
    ['Bearer token', 'curl -H Bearer abc123def456ghi789', 'curl -H Bearer [redacted]'],
    [
      'Authorization header',
      'Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l',
      'Authorization: Basic [redacted]',
    ],
    ['JSON authorization', '{"authorization":"Token abcdefgh"}', '{"authorization":"Token [redacted]"}'],
    [
      'URL password',
      'connecting to postgres://app:pw@1@db:5432/x',
      'connecting to postgres://app:[redacted]@db:5432/x',
    ],
    ['URL password, no user', 'redis://:s3cret@cache:6379', 'redis://:[redacted]@cache:6379'],
    ['PEM header', '-----BEGIN RSA PRIVATE KEY-----', '[redacted]'],
    [
      'PEM key in one JSON line',
      '{"key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n","n":1}',
      '{"key":"[redacted]\\n","n":1}',
    ],
    ['env assignment', 'POSTGRES_PASSWORD=benchmark_pass', 'POSTGRES_PASSWORD=[redacted]'],
    ['JSON secret field', '{"api_key": "k-123456", "n": 1}', '{"api_key": "[redacted]", "n": 1}'],
    ['query string token', 'GET /hook?token=abc123&x=1', 'GET /hook?token=[redacted]&x=1'],
  ])('%s', (_name, line, redacted) => {
    expect(none.redact(line)).toBe(redacted);
  });

  it('redacts an assignment whose value a configured secret already replaced only once', () => {
    expect(redactor.redact('DB_PASSWORD=hunter22')).toBe(`DB_PASSWORD=${REDACTED}`);
  });

  it.each([
    ['pino error line', '{"level":50,"time":1718000000000,"msg":"job failed","study":"study_abc123"}'],
    ['ISO timestamp', '2024-06-10T12:34:56.789Z INFO worker started pid=4242'],
    ['UUID', 'run 3f2b8a4e-9c1d-4e5f-8a7b-6c5d4e3f2a1b finished'],
    ['prose with scheme words', 'Basic configuration loaded; bearer authentication enabled'],
    ['token counts', '{"prompt_tokens":1234,"completion_tokens":56,"token_count":9}'],
    ['kubernetes secret reference', 'secretName: bentham-db kind: Secret'],
    ['URL with port and path', 'GET https://api.bentham.example:8443/health@v2 200'],
    ['task and disk words', 'task-queue-processor-worker-1234567890 disk-usage-report-abcdefghij'],
  ])('leaves an ordinary line alone: %s', (_name, line) => {
    expect(new Redactor([]).redact(line)).toBe(line);
  });
});

describe('knownSecrets', () => {
  const env = {
    SLACK_BOT_TOKEN: 'xoxb-from-env-123456',
    OPSBOT_SIGNING_SECRET: 'signing-secret-value',
    BASIC_AUTH: 'alice:wonderland',
    BACKUP_KEY: 'backup-key-value',
    BENTHAM_DATABASE_URL: 'postgres://opsbot:db%2Fpass-word@db.internal:5432/bentham',
    SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
    GPG_KEY_ID: 'ABCDEF123456',
    OPSBOT_PUBLIC_URL: 'https://opsbot.example',
    SHORT_TOKEN: 'abc',
    HOME: '/home/opsbot',
  };
  const config = {
    services: {
      'ai-benchmark': {
        compose: {
          project: 'ai-benchmark',
          docker: {
            host: 'tcp://docker.internal:2376',
            tls: { ca: 'ca-pem-text', cert: 'cert-pem-text', key: 'key-pem-text' },
          },
        },
        health: [{ name: 'api', url: 'https://user:health-pass@api.example/health' }],
        actions: {
          rotate_key: {
            kind: 'http',
            summary: 'Rotate the signing key',
            role: 'operator',
            risk: 'medium',
            headers: { authorization: 'Bearer header-token-42', 'x-trace': 'trace-header-value' },
            params: { token: { type: 'string', pattern: '^[a-z]+$' }, key: { type: 'string' } },
          },
        },
      },
    },
  };
  const secrets = knownSecrets(env, config);

  it('picks secret-named env vars, URL passwords in env and config, secret keys and headers', () => {
    expect(secrets).toEqual(
      expect.arrayContaining([
        'xoxb-from-env-123456',
        'signing-secret-value',
        'alice:wonderland',
        'backup-key-value',
        'db/pass-word',
        'ca-pem-text',
        'cert-pem-text',
        'key-pem-text',
        'health-pass',
        'Bearer header-token-42',
        'header-token-42',
        'trace-header-value',
      ]),
    );
  });

  it('leaves out non-secret env vars, short values, params specs and the fields of a secret-named action', () => {
    for (const word of [
      '/tmp/ssh-agent.sock',
      'ABCDEF123456',
      'https://opsbot.example',
      '/home/opsbot',
      'abc',
      'string',
      '^[a-z]+$',
      'operator',
      'medium',
      'Rotate the signing key',
      'ai-benchmark',
    ]) {
      expect(secrets).not.toContain(word);
    }
    expect(secrets.every((secret) => secret.length >= 6)).toBe(true);
  });
});

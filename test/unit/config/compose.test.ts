import { describe, expect, it } from 'vitest';
import { ComposeSection, DockerEndpoint } from '../../../src/config/compose.js';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';

const TLS = { ca: 'ca-pem', cert: 'cert-pem', key: 'key-pem' };

/** The issues (path and message) an endpoint is refused with. */
function refusal(endpoint: unknown) {
  const parsed = DockerEndpoint.safeParse(endpoint);
  expect(parsed.success).toBe(false);
  return parsed.error?.issues.map((issue) => ({ path: issue.path, message: issue.message }));
}

describe('DockerEndpoint', () => {
  it('accepts a Unix socket', () => {
    expect(DockerEndpoint.parse({ socket: '/var/run/docker.sock' })).toEqual({
      socket: '/var/run/docker.sock',
    });
  });

  it('accepts TCP with TLS', () => {
    expect(DockerEndpoint.parse({ host: 'tcp://docker.internal:2376', tls: TLS })).toEqual({
      host: 'tcp://docker.internal:2376',
      tls: TLS,
    });
  });

  it.each([
    ['tcp://127.0.0.1:2375'],
    ['tcp://127.1.2.3:2375'],
    ['tcp://localhost:2375'],
    ['tcp://[::1]:2375'],
  ])('accepts plain TCP on loopback: %s', (host) => {
    expect(DockerEndpoint.parse({ host })).toEqual({ host });
  });

  it.each([
    ['tcp://docker.example:2375'],
    ['tcp://10.0.0.5:2375'],
    ['tcp://localhost.example:2375'],
    ['tcp://127.0.0.1.nip.io:2375'],
    ['tcp://[::ffff:7f00:1]:2375'],
  ])('refuses plain TCP elsewhere, at tls: %s', (host) => {
    expect(refusal({ host })).toEqual([
      { path: ['tls'], message: expect.stringMatching(/^is required: .*TLS/) },
    ]);
  });

  it('reports each other problem at its own key', () => {
    expect(refusal({})).toEqual([{ path: [], message: expect.stringContaining('socket') }]);
    expect(refusal({ socket: 'docker.sock' })).toEqual([{ path: ['socket'], message: expect.any(String) }]);
    expect(refusal({ host: 'http://docker.internal:2376', tls: TLS })).toEqual([
      { path: ['host'], message: 'must be tcp://host:port' },
    ]);
    expect(refusal({ host: 'tcp://docker.internal:2376', tls: { ca: 'ca-pem' } })).toEqual([
      { path: ['tls', 'cert'], message: expect.any(String) },
      { path: ['tls', 'key'], message: expect.any(String) },
    ]);
    expect(refusal({ socket: '/var/run/docker.sock', host: 'tcp://127.0.0.1:2375' })).toEqual([
      { path: ['host'], message: expect.stringContaining('socket') },
    ]);
    expect(refusal({ socket: '/var/run/docker.sock', tls: TLS })).toEqual([
      { path: ['tls'], message: expect.stringContaining('socket') },
    ]);
    expect(refusal({ socket: '/var/run/docker.sock', port: 2375 })).toEqual([
      { path: [], message: expect.stringContaining('port') },
    ]);
  });
});

describe('ComposeSection', () => {
  it("defaults to the host's Docker socket", () => {
    expect(ComposeSection.parse({ project: 'ai-benchmark' })).toEqual({
      project: 'ai-benchmark',
      docker: { socket: '/var/run/docker.sock' },
    });
  });

  it('refuses names Compose would not take', () => {
    expect(ComposeSection.safeParse({ project: 'AI Benchmark' }).success).toBe(false);
    expect(ComposeSection.safeParse({ project: 'ai-benchmark', services: [] }).success).toBe(false);
    expect(ComposeSection.safeParse({ project: 'ai-benchmark', services: ['Web'] }).success).toBe(false);
  });
});

describe('compose in ops.yml', () => {
  /** ops.yml with the AI Benchmark service (runbook 003) reached through `docker`. */
  const config = (docker: string) => `
workspace: { ops_channel: C0OPS }
roles:
  operator: { users: [U0ALICE] }
services:
  ai-benchmark:
    environment: production
    compose: { project: ai-benchmark, services: [web, postgres, redis], docker: ${docker} }
`;

  it('refuses plain TCP to a remote Docker Engine, naming services.<name>.compose.docker.tls', () => {
    let error: unknown;
    try {
      parseOpsConfig(config('{ host: "tcp://docker.example:2375" }'), {}, 'test.ops.yml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        path: 'services.ai-benchmark.compose.docker.tls',
        line: 8,
        message: expect.stringMatching(/^is required: /),
      },
    ]);
  });

  it('accepts TCP with TLS from the environment, and a socket', () => {
    const env = { DOCKER_CA: 'ca-pem', DOCKER_CERT: 'cert-pem', DOCKER_KEY: 'key-pem' };
    const tls = '{ ca: "${DOCKER_CA}", cert: "${DOCKER_CERT}", key: "${DOCKER_KEY}" }';
    const parsed = parseOpsConfig(config(`{ host: "tcp://docker.example:2376", tls: ${tls} }`), env);
    expect(parsed.services['ai-benchmark']?.compose?.docker).toEqual({
      host: 'tcp://docker.example:2376',
      tls: TLS,
    });
    const socket = parseOpsConfig(config('{ socket: /var/run/docker.sock }'), {});
    expect(socket.services['ai-benchmark']?.compose?.docker).toEqual({ socket: '/var/run/docker.sock' });
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, WebClient } from '@slack/web-api';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GrantStore } from '../../../src/auth/grants.js';
import { GroupMembers, type ListGroupMembers } from '../../../src/auth/group-members.js';
import { RoleResolver } from '../../../src/auth/role-resolver.js';
import { roleOn } from '../../../src/auth/roles.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { migrate } from '../../../src/db/migrate.js';
import { createLogger } from '../../../src/log.js';
import { slackGroupMembers } from '../../../src/slack/transport/user-groups.js';
import { collectInto } from '../../support/collect.js';
import { createTestDatabase } from '../../support/databases.js';

const TTL = 60_000;

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** A logger whose lines the test can read. */
function capturedLog() {
  const written: string[] = [];
  const log = createLogger('debug', collectInto(written));
  return { log, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** A list function over a mutable map that counts its calls and can be made to fail. */
function fakeList(initial: Record<string, string[]> = {}) {
  const groups = new Map(Object.entries(initial));
  const calls: string[] = [];
  let failure: Error | undefined;
  const list: ListGroupMembers = async (groupId) => {
    calls.push(groupId);
    if (failure) throw failure;
    return [...(groups.get(groupId) ?? [])];
  };
  return {
    list,
    groups,
    calls,
    fail(error: Error | undefined) {
      failure = error;
    },
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('GroupMembers with a fake list function and an injected clock', () => {
  it('answers from the cache within the ttl, without asking again', async () => {
    const fake = fakeList({ S0SRE: ['U0ALICE'] });
    const clock = manualClock();
    const groups = new GroupMembers(fake.list, capturedLog().log, TTL, clock.now);

    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE']));
    fake.groups.set('S0SRE', ['U0ALICE', 'U0BOB']);
    clock.advance(TTL - 1);
    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE']));
    expect(fake.calls).toEqual(['S0SRE']);
  });

  it('fetches again once the ttl has passed and picks up the change', async () => {
    const fake = fakeList({ S0SRE: ['U0ALICE'] });
    const clock = manualClock();
    const groups = new GroupMembers(fake.list, capturedLog().log, TTL, clock.now);

    expect((await groups.members('S0SRE')).has('U0BOB')).toBe(false);
    fake.groups.set('S0SRE', ['U0BOB']);
    clock.advance(TTL);
    const after = await groups.members('S0SRE');
    expect(after).toEqual(new Set(['U0BOB']));
    expect(fake.calls).toEqual(['S0SRE', 'S0SRE']);

    // The new answer is cached for a full ttl from when it was fetched.
    fake.groups.set('S0SRE', []);
    clock.advance(TTL - 1);
    expect(await groups.members('S0SRE')).toEqual(new Set(['U0BOB']));
    expect(fake.calls).toHaveLength(2);
  });

  it('caches each group on its own', async () => {
    const fake = fakeList({ S0SRE: ['U0ALICE'], S0ONCALL: ['U0BOB'] });
    const clock = manualClock();
    const groups = new GroupMembers(fake.list, capturedLog().log, TTL, clock.now);

    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE']));
    clock.advance(TTL / 2);
    expect(await groups.members('S0ONCALL')).toEqual(new Set(['U0BOB']));
    clock.advance(TTL / 2);
    // S0SRE is now stale, S0ONCALL is not.
    await groups.members('S0SRE');
    await groups.members('S0ONCALL');
    expect(fake.calls).toEqual(['S0SRE', 'S0ONCALL', 'S0SRE']);
  });

  it('shares one fetch between concurrent calls', async () => {
    const pending = deferred<string[]>();
    const calls: string[] = [];
    const list: ListGroupMembers = (groupId) => {
      calls.push(groupId);
      return pending.promise;
    };
    const groups = new GroupMembers(list, capturedLog().log, TTL, manualClock().now);

    const first = groups.members('S0SRE');
    const second = groups.members('S0SRE');
    const third = groups.members('S0SRE');
    expect(calls).toEqual(['S0SRE']);
    pending.resolve(['U0ALICE']);
    const answers = await Promise.all([first, second, third]);
    for (const answer of answers) expect(answer).toEqual(new Set(['U0ALICE']));
    expect(calls).toEqual(['S0SRE']);
    // Settled: the next call within the ttl is answered from the cache.
    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE']));
    expect(calls).toEqual(['S0SRE']);
  });

  it('grants nothing when the fetch fails, logs it, and tries again on the next call', async () => {
    const fake = fakeList({ S0SRE: ['U0ALICE'] });
    const { log, lines } = capturedLog();
    const groups = new GroupMembers(fake.list, log, TTL, manualClock().now);

    fake.fail(new Error('missing_scope'));
    expect(await groups.members('S0SRE')).toEqual(new Set());
    expect(lines().some((line) => line.groupId === 'S0SRE' && line.level === 40)).toBe(true);

    // No time passes: a failure is not cached.
    fake.fail(undefined);
    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE']));
    expect(fake.calls).toEqual(['S0SRE', 'S0SRE']);
  });

  it('shares a failing fetch too: every concurrent caller gets nothing', async () => {
    const pending = deferred<string[]>();
    let calls = 0;
    const groups = new GroupMembers(
      () => {
        calls++;
        return pending.promise;
      },
      capturedLog().log,
      TTL,
      manualClock().now,
    );
    const both = Promise.all([groups.members('S0SRE'), groups.members('S0SRE')]);
    pending.reject(new Error('ratelimited'));
    expect(await both).toEqual([new Set(), new Set()]);
    expect(calls).toBe(1);
  });

  it('fails closed after expiry: a failed refresh drops the old members instead of serving them stale', async () => {
    const fake = fakeList({ S0SRE: ['U0ALICE'] });
    const clock = manualClock();
    const groups = new GroupMembers(fake.list, capturedLog().log, TTL, clock.now);

    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE']));
    clock.advance(TTL);
    fake.fail(new Error('token_revoked'));
    expect(await groups.members('S0SRE')).toEqual(new Set());
    // And it keeps trying on every call until the group can be read again.
    expect(await groups.members('S0SRE')).toEqual(new Set());
    fake.fail(undefined);
    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE']));
    expect(fake.calls).toHaveLength(4);
  });
});

/** The Slack Web API's usergroups.users.list, faked over HTTP from a mutable map; records every call. */
class FakeUserGroupsApi {
  /** Members by group; null answers `ok` without a `users` field. */
  readonly members = new Map<string, string[] | null>();
  readonly calls: { method: string; args: Record<string, string>; authorization: string | undefined }[] = [];
  /** When set, every call answers `{ ok: false, error }`. */
  error: string | undefined;
  private server: Server | undefined;

  get apiUrl(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    return `http://127.0.0.1:${address?.port}/api/`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
        const args = Object.fromEntries(new URLSearchParams(body));
        this.calls.push({ method, args, authorization: req.headers.authorization });
        res.writeHead(200, { 'content-type': 'application/json' });
        if (req.method !== 'POST' || method !== 'usergroups.users.list') {
          res.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
        } else if (this.error) {
          res.end(JSON.stringify({ ok: false, error: this.error }));
        } else if (!args.usergroup || !this.members.has(args.usergroup)) {
          res.end(JSON.stringify({ ok: false, error: 'no_such_subteam' }));
        } else {
          const users = this.members.get(args.usergroup);
          res.end(JSON.stringify(users ? { ok: true, users } : { ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe('GroupMembers over a real WebClient and a faked Slack Web API', () => {
  const api = new FakeUserGroupsApi();
  let client: WebClient;

  beforeAll(async () => {
    await api.start();
    client = new WebClient('xoxb-test-token', {
      slackApiUrl: api.apiUrl,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 0 },
    });
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.calls.length = 0;
    api.members.clear();
    api.error = undefined;
  });

  it('picks up a user added to S0SRE only after the cache expires', async () => {
    api.members.set('S0SRE', ['U0ALICE']);
    const clock = manualClock();
    const groups = new GroupMembers(slackGroupMembers(client), capturedLog().log, TTL, clock.now);

    expect((await groups.members('S0SRE')).has('U0DAVE')).toBe(false);
    api.members.set('S0SRE', ['U0ALICE', 'U0DAVE']);

    clock.advance(TTL - 1);
    expect((await groups.members('S0SRE')).has('U0DAVE')).toBe(false);
    expect(api.calls).toHaveLength(1);

    clock.advance(1);
    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE', 'U0DAVE']));

    expect(api.calls.map(({ method, args }) => ({ method, args }))).toEqual([
      { method: 'usergroups.users.list', args: { usergroup: 'S0SRE' } },
      { method: 'usergroups.users.list', args: { usergroup: 'S0SRE' } },
    ]);
    for (const call of api.calls) expect(call.authorization).toBe('Bearer xoxb-test-token');
  });

  it('grants nothing while Slack refuses (missing scope), and reads the group once it answers', async () => {
    api.members.set('S0SRE', ['U0ALICE']);
    api.error = 'missing_scope';
    const { log, lines } = capturedLog();
    const groups = new GroupMembers(slackGroupMembers(client), log, TTL, manualClock().now);

    expect(await groups.members('S0SRE')).toEqual(new Set());
    expect(lines().some((line) => line.groupId === 'S0SRE')).toBe(true);
    api.error = undefined;
    expect(await groups.members('S0SRE')).toEqual(new Set(['U0ALICE']));
    expect(api.calls.map((call) => call.args.usergroup)).toEqual(['S0SRE', 'S0SRE']);
  });

  it('grants nothing for a group Slack does not know, or one answered without a users list', async () => {
    api.members.set('S0BARE', null);
    const groups = new GroupMembers(slackGroupMembers(client), capturedLog().log, TTL, manualClock().now);
    expect(await groups.members('S0GONE')).toEqual(new Set());
    expect(await groups.members('S0BARE')).toEqual(new Set());
    expect(api.calls.map((call) => call.args.usergroup)).toEqual(['S0GONE', 'S0BARE']);
  });
});

describe('RoleResolver over PostgreSQL grants and Slack group membership', () => {
  let pool: pg.Pool;
  let drop: () => Promise<void>;
  let grants: GrantStore;
  const roles = parseOpsConfig(
    `workspace: { ops_channel: C0OPS }
roles:
  admin: { users: [U0ADMIN] }
  operator: { groups: [S0SRE] }
  responder: { groups: [S0ONCALL] }
  viewer: { everyone: true }
`,
    {},
  ).roles;

  beforeAll(async () => {
    const db = await createTestDatabase('opsbot_roles');
    drop = db.drop;
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await migrate(pool);
    grants = new GrantStore(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await drop?.();
  });
  beforeEach(async () => {
    await pool.query('TRUNCATE role_grants');
  });

  function resolver(members: Record<string, string[]>) {
    const fake = fakeList(members);
    const groups = new GroupMembers(fake.list, capturedLog().log, TTL, manualClock().now);
    return { resolver: new RoleResolver(roles, groups, grants), fake };
  }

  it('gives a config role through user-group membership, naming the group', async () => {
    const { resolver: r, fake } = resolver({ S0SRE: ['U0CAROL'], S0ONCALL: ['U0CAROL', 'U0DAVE'] });
    expect(await r.rolesOf('U0CAROL')).toEqual({
      global: { role: 'operator', source: 'ops.yml roles.operator.groups (<!subteam^S0SRE>)' },
      services: {},
    });
    expect(await r.rolesOf('U0DAVE')).toEqual({
      global: { role: 'responder', source: 'ops.yml roles.responder.groups (<!subteam^S0ONCALL>)' },
      services: {},
    });
    expect(await r.rolesOf('U0ERIN')).toEqual({
      global: { role: 'viewer', source: 'ops.yml roles.viewer.everyone' },
      services: {},
    });
    expect(await r.rolesOf('U0ADMIN')).toEqual({
      global: { role: 'admin', source: 'ops.yml roles.admin.users' },
      services: {},
    });
    // Both configured groups were read once each, then served from the cache.
    expect([...fake.calls].sort()).toEqual(['S0ONCALL', 'S0SRE']);
  });

  it('adds a grant made in Slack on one service only', async () => {
    const { resolver: r } = resolver({});
    await grants.grant('U0ADMIN', 'U0ERIN', 'operator', 'bentham');
    const held = await r.rolesOf('U0ERIN');
    expect(held).toEqual({
      global: { role: 'viewer', source: 'ops.yml roles.viewer.everyone' },
      services: { bentham: { role: 'operator', source: 'granted by <@U0ADMIN>' } },
    });
    expect(roleOn(held, 'bentham')?.role).toBe('operator');
    expect(roleOn(held, 'ledger')?.role).toBe('viewer');
  });

  it('raises the global role with a global grant, and drops it again when revoked', async () => {
    const { resolver: r } = resolver({ S0ONCALL: ['U0DAVE'] });
    await grants.grant('U0ADMIN', 'U0DAVE', 'admin', undefined);
    expect((await r.rolesOf('U0DAVE')).global).toEqual({ role: 'admin', source: 'granted by <@U0ADMIN>' });

    expect(await grants.revoke('U0ADMIN', 'U0DAVE', undefined)).toBe('admin');
    expect((await r.rolesOf('U0DAVE')).global).toEqual({
      role: 'responder',
      source: 'ops.yml roles.responder.groups (<!subteam^S0ONCALL>)',
    });
    expect(await grants.revoke('U0ADMIN', 'U0DAVE', undefined)).toBeUndefined();
  });

  it('keeps the config role when a global grant is lower, and counts the grant when it is higher', async () => {
    const { resolver: r } = resolver({ S0SRE: ['U0CAROL'] });
    await grants.grant('U0ADMIN', 'U0CAROL', 'responder', undefined);
    expect((await r.rolesOf('U0CAROL')).global).toEqual({
      role: 'operator',
      source: 'ops.yml roles.operator.groups (<!subteam^S0SRE>)',
    });
    await grants.grant('U0BOSS', 'U0CAROL', 'admin', undefined);
    expect((await r.rolesOf('U0CAROL')).global).toEqual({ role: 'admin', source: 'granted by <@U0BOSS>' });
  });

  it('revoking a scoped grant leaves the user with their config role on that service', async () => {
    const { resolver: r } = resolver({});
    await grants.grant('U0ADMIN', 'U0ERIN', 'admin', 'bentham');
    await grants.grant('U0ADMIN', 'U0ERIN', 'responder', 'ledger');
    expect(await grants.revoke('U0ADMIN', 'U0ERIN', 'bentham')).toBe('admin');
    const held = await r.rolesOf('U0ERIN');
    expect(held.services).toEqual({ ledger: { role: 'responder', source: 'granted by <@U0ADMIN>' } });
    expect(roleOn(held, 'bentham')).toEqual({ role: 'viewer', source: 'ops.yml roles.viewer.everyone' });
  });

  it('replaces a grant for the same scope (a downgrade takes effect)', async () => {
    const { resolver: r } = resolver({});
    await grants.grant('U0ADMIN', 'U0ERIN', 'admin', 'bentham');
    await grants.grant('U0ADMIN', 'U0ERIN', 'responder', 'bentham');
    expect(roleOn(await r.rolesOf('U0ERIN'), 'bentham')?.role).toBe('responder');
  });

  it('audits every grant and revocation', async () => {
    const before = await pool.query<{ id: string }>('SELECT coalesce(max(id), 0)::text AS id FROM audit_log');
    await grants.grant('U0ADMIN', 'U0ZED', 'operator', 'bentham');
    await grants.revoke('U0ADMIN', 'U0ZED', 'bentham');
    const { rows } = await pool.query(
      'SELECT actor, event, service, detail FROM audit_log WHERE id > $1 ORDER BY id',
      [before.rows[0]?.id],
    );
    expect(rows).toEqual([
      {
        actor: 'U0ADMIN',
        event: 'role.granted',
        service: 'bentham',
        detail: { user: 'U0ZED', role: 'operator' },
      },
      {
        actor: 'U0ADMIN',
        event: 'role.revoked',
        service: 'bentham',
        detail: { user: 'U0ZED', role: 'operator' },
      },
    ]);
  });

  it('denies by default: nobody named, no group, no everyone, no grant', async () => {
    const strict = parseOpsConfig(
      'workspace: { ops_channel: C0OPS }\nroles:\n  admin: { users: [U0ADMIN] }',
      {},
    ).roles;
    const groups = new GroupMembers(fakeList().list, capturedLog().log, TTL, manualClock().now);
    const r = new RoleResolver(strict, groups, grants);
    expect(await r.rolesOf('U0STRANGER')).toEqual({ services: {} });
    expect(await r.rolesOf('u0admin')).toEqual({ services: {} });
  });
});

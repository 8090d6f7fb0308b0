import { describe, expect, it } from 'vitest';
import { EnvError, readEnv } from '../../../src/config/env.js';
import { isRedisUnreachable } from '../../../src/outages.js';
import { describeRedis, hashTag, RedisUrlError, redisTarget } from '../../../src/queue/redis-target.js';

describe('redisTarget', () => {
  it('hands one server URL to ioredis as written', () => {
    expect(redisTarget('redis://:pw@cache:6380/2?family=6')).toEqual({
      cluster: false,
      url: 'redis://:pw@cache:6380/2?family=6',
    });
  });

  it('reads a list of nodes as a cluster, with the credentials and TLS they share', () => {
    expect(redisTarget('rediss://opsbot:p%40ss@h1:7000,h2:7001, [::1]:7002,h4')).toEqual({
      cluster: true,
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
        { host: '::1', port: 7002 },
        { host: 'h4', port: 6379 },
      ],
      username: 'opsbot',
      password: 'p@ss',
      tls: true,
    });
  });

  it('reads one node as a cluster when REDIS_CLUSTER says so', () => {
    expect(redisTarget('redis://:secret@config.cache.example:6379/0', true)).toEqual({
      cluster: true,
      nodes: [{ host: 'config.cache.example', port: 6379 }],
      password: 'secret',
      tls: false,
    });
  });

  it('refuses what a cluster cannot be', () => {
    expect(() => redisTarget('redis://h1:7000,h2:7001/3')).toThrow(/only database 0/);
    expect(() => redisTarget('redis://h1:7000,h2:7001?tls=true')).toThrow(RedisUrlError);
    expect(() => redisTarget('redis://h1:7000,h2:99999')).toThrow(/"h2:99999"/);
    expect(() => redisTarget('h1:7000,h2:7001')).toThrow(RedisUrlError);
    expect(() => redisTarget('redis://h1:7000,h2:7001', false)).toThrow(/REDIS_CLUSTER is off/);
  });

  it('describes a cluster without its password', () => {
    const text = describeRedis(redisTarget('redis://:hunter2@h1:7000,h2:7001'));
    expect(text).toBe('Redis Cluster at redis://h1:7000,h2:7001');
    expect(describeRedis(redisTarget('redis://:hunter2@h1:7000'))).not.toContain('hunter2');
  });
});

describe('hashTag', () => {
  it('reads the hash tag as Redis Cluster does: the first {…} with something in it', () => {
    expect(hashTag('{opsbot}')).toBe('opsbot');
    expect(hashTag('prod:{opsbot}:v2')).toBe('opsbot');
    expect(hashTag('opsbot')).toBeUndefined();
    expect(hashTag('{}opsbot')).toBeUndefined();
    expect(hashTag('{opsbot')).toBeUndefined();
  });
});

describe('the environment on a Redis Cluster', () => {
  const cluster = { REDIS_URL: 'redis://h1:7000,h2:7001,h3:7002' };

  it('takes the default prefix {opsbot}, whose hash tag keeps every key in one slot', () => {
    expect(readEnv(cluster).OPSBOT_QUEUE_PREFIX).toBe('{opsbot}');
    expect(readEnv({ ...cluster, OPSBOT_QUEUE_PREFIX: 'staging:{opsbot-staging}' }).OPSBOT_QUEUE_PREFIX).toBe(
      'staging:{opsbot-staging}',
    );
  });

  it('refuses a prefix without a hash tag, and a REDIS_URL that is no cluster', () => {
    expect(() => readEnv({ ...cluster, OPSBOT_QUEUE_PREFIX: 'opsbot' })).toThrow(
      /OPSBOT_QUEUE_PREFIX: needs a hash tag such as \{opsbot\}/,
    );
    expect(() =>
      readEnv({ REDIS_URL: 'redis://h1:7000', REDIS_CLUSTER: '1', OPSBOT_QUEUE_PREFIX: 'x' }),
    ).toThrow(EnvError);
    expect(() => readEnv({ REDIS_URL: 'redis://h1:7000,h2:7001/1' })).toThrow(/REDIS_URL: names database 1/);
    expect(() => readEnv({ ...cluster, REDIS_CLUSTER: 'yes' })).toThrow(/REDIS_CLUSTER: must be 1 or 0/);
  });

  it('leaves one server as it was: any prefix', () => {
    expect(readEnv({ OPSBOT_QUEUE_PREFIX: 'opsbot' }).REDIS_CLUSTER).toBeUndefined();
  });
});

describe('a cluster failing over is an outage of Redis', () => {
  it.each([
    'Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down',
    'CLUSTERDOWN The cluster is down',
    'Failed to refresh slots cache.',
    'None of startup nodes is available',
    "Cluster isn't ready and enableOfflineQueue options is false",
  ])('%s', (message) => {
    expect(isRedisUnreachable(new Error(message))).toBe(true);
  });
});

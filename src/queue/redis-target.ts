import { redactUrl } from '../log.js';

/** One node of a Redis Cluster, as ioredis's `Cluster` takes its startup nodes. */
export interface ClusterNode {
  host: string;
  port: number;
}

/**
 * Where opsbot's Redis is: one server by its URL (handed to ioredis as it is), or a Redis Cluster by some of its
 * nodes, from which ioredis's `Cluster` learns the rest, with the credentials and TLS every node shares.
 */
export type RedisTarget =
  | { cluster: false; url: string }
  | { cluster: true; nodes: ClusterNode[]; username?: string; password?: string; tls: boolean };

/** REDIS_URL cannot be used as written; the message says why. */
export class RedisUrlError extends Error {}

const DEFAULT_PORT = 6379;
/** `redis[s]://[user[:password]@]host[:port][,host[:port]…][/0]`, parts taken apart. */
const URL_PATTERN = /^(rediss?):\/\/(?:([^@/]*)@)?([^/?#@]+)(\/[^?#]*)?$/;
/** `host`, `host:port`, `[ipv6]` or `[ipv6]:port`. */
const NODE_PATTERN = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

/**
 * Reads REDIS_URL: a cluster when it lists more than one node (`redis://h1:7000,h2:7001,h3:7002`) or when
 * `cluster` says so (REDIS_CLUSTER=1: one node of the cluster, such as a managed service's configuration
 * endpoint), else one server. A cluster has only database 0, and the URL takes no query options.
 */
export function redisTarget(url: string, cluster?: boolean): RedisTarget {
  const listed = url.includes(',');
  if (!listed && cluster !== true) return { cluster: false, url };
  if (listed && cluster === false) {
    throw new RedisUrlError('lists several nodes, which is a Redis Cluster, but REDIS_CLUSTER is off');
  }
  const parts = URL_PATTERN.exec(url.trim());
  if (!parts) {
    throw new RedisUrlError(
      'must be redis://[user:password@]host:port,host:port,… (or rediss://) for a Redis Cluster, with no query options',
    );
  }
  const [, scheme, userInfo, hosts = '', path] = parts;
  if (path !== undefined && path !== '/' && path !== '/0') {
    throw new RedisUrlError(`names database ${path.slice(1)}, but a Redis Cluster has only database 0`);
  }
  const nodes = hosts.split(',').map((text) => clusterNode(text.trim()));
  return { cluster: true, nodes, ...credentials(userInfo), tls: scheme === 'rediss' };
}

function clusterNode(text: string): ClusterNode {
  const parts = NODE_PATTERN.exec(text);
  const host = parts?.[1] ?? parts?.[2];
  const port = parts?.[3] === undefined ? DEFAULT_PORT : Number(parts[3]);
  if (!host || port < 1 || port > 65535) {
    throw new RedisUrlError(`has a node "${text}" that is not host:port`);
  }
  return { host, port };
}

function credentials(userInfo: string | undefined): { username?: string; password?: string } {
  if (!userInfo) return {};
  const colon = userInfo.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? userInfo : userInfo.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(userInfo.slice(colon + 1));
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/**
 * The hash tag of a key prefix as Redis Cluster reads it (the text between the first `{` and the first `}`
 * after it, if any), or undefined when it has none. Every key under a prefix with a hash tag is in that tag's
 * hash slot, which BullMQ's multi-key scripts and opsbot's transactions need on a cluster.
 */
export function hashTag(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open < 0) return undefined;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined;
}

/** REDIS_URL for the logs and error messages: its password replaced, a cluster's nodes listed. */
export function redisAddress(target: RedisTarget): string {
  if (!target.cluster) return redactUrl(target.url);
  const nodes = target.nodes.map(({ host, port }) =>
    host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
  );
  return `${target.tls ? 'rediss' : 'redis'}://${nodes.join(',')}`;
}

/** What opsbot's Redis is, for a sentence: `Redis at redis://…` or `Redis Cluster at redis://h1:7000,…`. */
export function describeRedis(target: RedisTarget): string {
  return `${target.cluster ? 'Redis Cluster' : 'Redis'} at ${redisAddress(target)}`;
}

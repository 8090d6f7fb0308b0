import { z } from 'zod';

/** A compose project or service name, as Compose allows them: `ai-benchmark`, `web`, `postgres`. */
export const ComposeName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'must be a Compose name such as web (lower-case, digits, - _ .)');

const LOOPBACK = /^tcp:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/;

const Tls = z.strictObject({
  /** PEM text (from `${ENV}`), never a path, so the secrets rules apply to it. */
  ca: z.string().min(1),
  cert: z.string().min(1),
  key: z.string().min(1),
});

/** How opsbot reaches a Docker Engine: its Unix socket, or TCP with mutual TLS (plain TCP on loopback only). */
export type DockerEndpoint = { socket: string } | { host: string; tls?: z.infer<typeof Tls> };

/**
 * `docker:` as written: one object with either `socket` or `host` (and `tls`), checked field by field so each
 * problem is reported at its own key (a union of two shapes would report "Invalid input" at `docker`).
 */
export const DockerEndpoint = z
  .strictObject({
    socket: z.string().startsWith('/', 'must be an absolute path such as /var/run/docker.sock').optional(),
    host: z
      .string()
      .regex(/^tcp:\/\/[^\s/:]+:\d+$|^tcp:\/\/\[[0-9a-f:]+\]:\d+$/i, 'must be tcp://host:port')
      .optional(),
    tls: Tls.optional(),
  })
  .superRefine((endpoint, ctx) => {
    if (endpoint.socket === undefined && endpoint.host === undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must name the Docker Engine: socket (/var/run/docker.sock) or host (tcp://host:2376 with tls)',
      });
    } else if (endpoint.socket !== undefined && endpoint.host !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['host'],
        message: 'cannot be set with socket; name one of them',
      });
    } else if (endpoint.socket !== undefined && endpoint.tls !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'applies to host only, not to a Unix socket' });
    } else if (endpoint.host !== undefined && endpoint.tls === undefined && !LOOPBACK.test(endpoint.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message:
          'is required: the Docker Engine API gives root on its host, so opsbot reaches it over TCP only with ' +
          'TLS (ca, cert, key), or over a Unix socket or loopback',
      });
    }
  })
  .transform(
    ({ socket, host, tls }): DockerEndpoint =>
      socket !== undefined ? { socket } : { host: host ?? '', ...(tls ? { tls } : {}) },
  );

/** A service's `compose:` section: the project its containers belong to, and the Docker Engine running them. */
export const ComposeSection = z.strictObject({
  project: ComposeName,
  /** The only compose services opsbot's docker.* actions and `/ops logs` may touch; every one when absent. */
  services: z.array(ComposeName).min(1).optional(),
  docker: DockerEndpoint.default({ socket: '/var/run/docker.sock' }),
});
export type ComposeSection = z.infer<typeof ComposeSection>;

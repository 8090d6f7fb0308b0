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
export const DockerEndpoint = z.union([
  z.strictObject({
    socket: z.string().startsWith('/', 'must be an absolute path such as /var/run/docker.sock'),
  }),
  z
    .strictObject({
      host: z
        .string()
        .regex(/^tcp:\/\/[^\s/:]+:\d+$|^tcp:\/\/\[[0-9a-f:]+\]:\d+$/i, 'must be tcp://host:port'),
      tls: Tls.optional(),
    })
    .refine((endpoint) => endpoint.tls !== undefined || LOOPBACK.test(endpoint.host), {
      path: ['tls'],
      message:
        'is required: the Docker Engine API gives root on its host, so opsbot reaches it over TCP only with ' +
        'TLS (ca, cert, key), or over a Unix socket or loopback',
    }),
]);
export type DockerEndpoint = z.infer<typeof DockerEndpoint>;

/** A service's `compose:` section: the project its containers belong to, and the Docker Engine running them. */
export const ComposeSection = z.strictObject({
  project: ComposeName,
  /** The only compose services opsbot's docker.* actions and `/ops logs` may touch; every one when absent. */
  services: z.array(ComposeName).min(1).optional(),
  docker: DockerEndpoint.default({ socket: '/var/run/docker.sock' }),
});
export type ComposeSection = z.infer<typeof ComposeSection>;

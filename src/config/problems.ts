/** A problem in ops.yml with its path: below an action, check or lookup when its kind finds it, or from the root. */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

/** The problem with a config's `database` when the service has no database by that name, else none. */
export function databaseProblems(
  database: string,
  service: { databases: string[] },
  path: (string | number)[] = ['database'],
): ConfigProblem[] {
  if (service.databases.includes(database)) return [];
  return [
    {
      path,
      message: `names no database of this service (configured: ${service.databases.join(', ') || 'none'})`,
    },
  ];
}

/** What the service around an action offers, for a kind's config cross-checks. */
export interface ServiceShape {
  databases: string[];
  /** services.<name>.allowed_hosts; absent when a caller does not know them. */
  allowedHosts?: string[];
  /** services.<name>.kubernetes.deployments; absent when the service has no kubernetes section. */
  deployments?: string[];
  /** services.<name>.compose: the compose services it lists (undefined: any); absent with no compose section. */
  compose?: { services: string[] | undefined };
  /** The service's actions by name with their kind; absent when a caller does not know them. */
  actions?: Record<string, string>;
  /** The names of the service's lookups and of its health checks; absent when a caller does not know them. */
  lookups?: string[];
  checks?: string[];
}

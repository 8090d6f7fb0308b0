/** Rules for secrets in ops.yml (DESIGN §8): they come from the environment, never the file. */

const PLACEHOLDER = /changeme|change-me|xxx|\.\.\.|<[^>]*>|^todo$|^secret$/i;
const ENV_REF_ONLY = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

type Report = (path: PropertyKey[], message: string) => void;

/** Keys whose values are secrets wherever they appear under `services` (a backup `key`, an API `token`, ...). */
const SECRET_KEY = /(^|_)(key|token|password|secret|authorization)$/i;
/** `scheme://user:password@host`: the password part. */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:([^\s/@]+)@/i;
const ENV_REF_ANYWHERE = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

/** Reports literal or placeholder-looking secrets; runs on the file as written, before `${ENV}` is resolved. */
export function checkLiteralSecrets(raw: unknown, report: Report): void {
  for (const [serviceName, service] of Object.entries(record(record(raw).services))) {
    for (const [dbName, db] of Object.entries(record(record(service).databases))) {
      const url = record(db).url;
      if (typeof url === 'string') {
        checkDatabaseUrl(url, ['services', serviceName, 'databases', dbName, 'url'], report);
      }
    }
    walkSecrets(service, ['services', serviceName], false, report);
  }
}

/** Every value of a secret-named key, and every HTTP header value, must come from `${ENV}`. */
function walkSecrets(value: unknown, path: PropertyKey[], secret: boolean, report: Report): void {
  if (typeof value === 'string') {
    if (!secret) {
      const password = URL_PASSWORD.exec(value)?.[1];
      if (password !== undefined && !ENV_REF_ANYWHERE.test(password) && path.at(-2) !== 'databases') {
        report(
          path,
          'holds a literal password; write the whole URL as ${ENV_NAME} and set it in the environment',
        );
      }
      return;
    }
    if (!ENV_REF_ANYWHERE.test(value)) {
      report(path, 'is a secret written in the file; write ${ENV_NAME} and set it in the environment');
    } else if (PLACEHOLDER.test(value.replace(ENV_REF_ANYWHERE, ''))) {
      report(path, 'looks like a placeholder; write ${ENV_NAME} and set it in the environment');
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) walkSecrets(item, [...path, i], secret, report);
    return;
  }
  if (path.at(-1) === 'params') return; // param specs describe values typed in Slack; they hold none
  const inHeaders = path.at(-1) === 'headers';
  for (const [key, item] of Object.entries(record(value))) {
    walkSecrets(item, [...path, key], secret || inHeaders || SECRET_KEY.test(key), report);
  }
}

/** Reports plain-HTTP endpoints of production services; runs after `${ENV}` is resolved. */
export function checkPlainHttp(resolved: unknown, report: Report): void {
  for (const [serviceName, service] of Object.entries(record(record(resolved).services))) {
    const fields = record(service);
    if (fields.environment === 'production' && Array.isArray(fields.health)) {
      fields.health.forEach((check, i) => {
        for (const key of ['url', 'metrics']) {
          const url = record(check)[key];
          if (typeof url === 'string' && isPlainHttpToRemote(url)) {
            report(
              ['services', serviceName, 'health', i, key],
              'is plain HTTP on a production service; use https://',
            );
          }
        }
      });
    }
  }
}

function checkDatabaseUrl(url: string, path: PropertyKey[], report: Report): void {
  if (ENV_REF_ONLY.test(url)) return;
  if (PLACEHOLDER.test(url)) {
    report(path, 'looks like a placeholder; write ${ENV_NAME} and set it in the environment');
    return;
  }
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return;
  }
  if (password && !ENV_REF_ONLY.test(decodeURIComponent(password))) {
    report(
      path,
      'holds a literal password; write the whole URL as ${ENV_NAME} and set it in the environment',
    );
  }
}

function isPlainHttpToRemote(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  } catch {
    return false;
  }
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

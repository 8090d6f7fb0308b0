/** What stands in for a secret in anything opsbot shows of a command's output. */
export const REDACTED = '[redacted]';

/**
 * Token shapes that are secrets wherever they appear, configured or not: Slack, GitHub, GitLab, AWS access
 * keys, OpenAI/Anthropic-style `sk-` keys, JWTs, bearer tokens, passwords inside URLs, PEM private keys.
 */
const TOKEN_PATTERNS: readonly RegExp[] = [
  /\bxox[abpeorsc]-[A-Za-z0-9-]{8,}/g,
  /\bxapp-[A-Za-z0-9-]{8,}/g,
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/g,
];
/** `Bearer <token>` and `Authorization: Basic <credentials>`: the credentials part. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
/** `scheme://user:password@host`: the password part. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)[^\s/@]+@/gi;

/** Secrets shorter than this are not searched for: they would redact ordinary words and numbers. */
const MIN_SECRET_LENGTH = 6;

/**
 * Replaces secrets in text: every configured secret's value (and its URL-encoded form), and anything shaped
 * like a token. Applied line by line to command output before it is kept, shown, logged or audited.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < MIN_SECRET_LENGTH) continue;
      all.add(secret);
      all.add(encodeURIComponent(secret));
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
    out = out.replace(AUTH_SCHEME, `$1 ${REDACTED}`);
    return out.replace(URL_PASSWORD, `$1${REDACTED}@`);
  }
}

/** Names of environment variables whose values are secrets (tokens, keys, passwords, credentials). */
const SECRET_ENV_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PASS|KEY|CREDENTIAL|AUTH|PRIVATE|CERT|DSN)/i;
/** Keys of ops.yml whose values are secrets (as config/secrets.ts reads them). */
const SECRET_CONFIG_KEY = /(^|_)(key|token|password|secret|authorization|cert|ca)$/i;

/**
 * Every secret opsbot knows of: the values of secret-named environment variables (which is where ops.yml's
 * `${ENV}` secrets come from), the passwords inside any URL in the environment, and the values under
 * secret-named keys or HTTP headers anywhere in the (resolved) config.
 */
export function knownSecrets(env: NodeJS.ProcessEnv, config: unknown): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_ENV_NAME.test(name)) found.push(value);
    const password = urlPassword(value);
    if (password) found.push(password);
  }
  walk(config, false, found);
  return found;
}

function walk(value: unknown, secret: boolean, found: string[]): void {
  if (typeof value === 'string') {
    if (secret) found.push(value);
    const password = urlPassword(value);
    if (password) found.push(password);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(item, secret, found);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'params') continue; // param specs describe values typed in Slack; they hold none
    walk(item, secret || key === 'headers' || SECRET_CONFIG_KEY.test(key), found);
  }
}

function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    const password = decodeURIComponent(new URL(value).password);
    return password || undefined;
  } catch {
    return undefined;
  }
}

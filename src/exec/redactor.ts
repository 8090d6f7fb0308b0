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
  // A PEM private key from its first line to its last, or to the end of the text (the rest of the line).
  /-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----|[\s\S]*)/g,
];
/** An `Authorization:` header (or `authorization=`): its credentials, after the scheme if it names one. */
const AUTHORIZATION =
  /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:Bearer|Basic|Token|Digest|Negotiate)\s+)?)[^\s"',;]+/gi;
/** `Bearer <token>` anywhere: a token has a digit (so "Bearer authentication" is left alone). */
const BEARER = /\b([Bb]earer\s+)(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{12,}/g;
/** `DB_PASSWORD=…`, `"api_key": "…"`, `secret: …`: the value of a secret-named key. */
const SECRET_ASSIGNMENT =
  /\b([A-Za-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credentials?)["']?\s*[:=]\s*["']?)[^\s"',;&{}[\]]+/gi;
/** `scheme://user:password@host`: the password part (up to the authority's last `@`). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)[^\s/]+@/gi;

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
      // Output is redacted line by line, so a multi-line secret (a PEM key) is searched for line by line.
      for (const part of [secret, ...secret.split(/\r?\n/).map((line) => line.trim())]) {
        if (part.length < MIN_SECRET_LENGTH) continue;
        all.add(part);
        all.add(encodeURIComponent(part));
      }
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
    out = out.replace(AUTHORIZATION, `$1${REDACTED}`);
    out = out.replace(BEARER, `$1${REDACTED}`);
    out = out.replace(SECRET_ASSIGNMENT, `$1${REDACTED}`);
    return out.replace(URL_PASSWORD, `$1${REDACTED}@`);
  }
}

/** Words of an environment variable's name (split at `_`) that make its value a secret anywhere in the name. */
const SECRET_ENV_WORD = /^(TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|CREDENTIAL|CREDENTIALS|APIKEY|DSN)$/;
/** ...and those that do as its last word (`SSH_AUTH_SOCK` and `GPG_KEY_ID` are not secrets; `BASIC_AUTH` is). */
const SECRET_ENV_LAST_WORD = /^(KEY|PASS|AUTH|CERT|PEM)$/;
/** Keys of ops.yml whose values are secrets (as config/secrets.ts reads them). */
const SECRET_CONFIG_KEY = /(^|_)(key|token|password|secret|authorization|cert|ca)$/i;

/**
 * Every secret opsbot knows of: the values of secret-named environment variables (which is where ops.yml's
 * `${ENV}` secrets come from), the passwords inside any URL in the environment, and the values under
 * secret-named keys or HTTP headers anywhere in the (resolved) config. Values too short to search for (which
 * would redact ordinary words) are left out, and so are `params` (specs of values typed in Slack).
 */
export function knownSecrets(env: NodeJS.ProcessEnv, config: unknown): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (isSecretEnvName(name)) found.push(value);
    const password = urlPassword(value);
    if (password) found.push(password);
  }
  walk(config, undefined, found);
  return [...new Set(found)].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
}

function isSecretEnvName(name: string): boolean {
  const words = name.toUpperCase().split(/[_.-]+/);
  return words.some((word) => SECRET_ENV_WORD.test(word)) || SECRET_ENV_LAST_WORD.test(words.at(-1) ?? '');
}

/**
 * `under`: the key the value is under, when that makes it secret (a secret-named key, or a header of
 * `headers`). It makes a string (or list of strings) a secret, not a whole object: an action named
 * `rotate_key` does not make its summary and role secrets.
 */
function walk(value: unknown, under: 'secret' | 'headers' | undefined, found: string[]): void {
  if (typeof value === 'string') {
    if (under === 'secret') {
      found.push(value);
      // `Bearer <token>`: the token alone may be printed too.
      const credentials = /^[A-Za-z]+\s+(\S+)$/.exec(value)?.[1];
      if (credentials) found.push(credentials);
    }
    const password = urlPassword(value);
    if (password) found.push(password);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(item, under, found);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'params') continue; // param specs describe values typed in Slack; they hold none
    const secret = under === 'headers' || SECRET_CONFIG_KEY.test(key);
    walk(item, key === 'headers' ? 'headers' : secret ? 'secret' : undefined, found);
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

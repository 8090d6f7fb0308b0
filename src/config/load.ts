import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { crossCheck, type OpsConfig, OpsConfigSchema } from './ops-config.js';
import { checkLiteralSecrets, checkPlainHttp } from './secrets.js';
import { verbClashes } from './verb-clash.js';

/** One problem in ops.yml, with its YAML path and, where known, its line. */
export interface ConfigIssue {
  path: string;
  line?: number;
  message: string;
}

/** ops.yml could not be used; `issues` lists every problem found. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `${file} has ${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}:\n${formatIssues(issues)}`,
    );
    this.name = 'ConfigError';
  }
}

/** `  - services.bentham.role (line 12): must be ...`, one per line. */
export function formatIssues(issues: ConfigIssue[]): string {
  return issues
    .map(
      (issue) =>
        `  - ${issue.path || '(top level)'}${issue.line ? ` (line ${issue.line})` : ''}: ${issue.message}`,
    )
    .join('\n');
}

/** Reads and validates ops.yml; throws ConfigError listing every problem. */
export async function loadOpsConfig(file: string, env: NodeJS.ProcessEnv): Promise<OpsConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError(file, [
      { path: '', message: `cannot read the config: ${reason} (set OPSBOT_CONFIG)` },
    ]);
  }
  return parseOpsConfig(text, env, file);
}

/** Validates ops.yml text: YAML syntax, `${ENV}` references, literal secrets, then the schema. */
export function parseOpsConfig(text: string, env: NodeJS.ProcessEnv, file = 'ops.yml'): OpsConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => ({
        path: '',
        line: lineCounter.linePos(error.pos[0]).line,
        message: error.message.split('\n')[0] ?? 'invalid YAML',
      })),
    );
  }
  const lineOf = (path: PropertyKey[]): number | undefined => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const issues: ConfigIssue[] = [];
  const report = (path: PropertyKey[], message: string) =>
    issues.push({ path: formatPath(path), line: lineOf(path), message });

  const raw: unknown = doc.toJS() ?? {};
  checkLiteralSecrets(raw, report);
  const resolved = resolveEnvRefs(raw, [], env, report);
  checkPlainHttp(resolved, report);
  const parsed = OpsConfigSchema.safeParse(resolved);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // One line per unknown key, at the key itself rather than at the map around it.
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) report([...issue.path, key], 'is not a known key');
      } else if (issue.code === 'invalid_key') {
        report(issue.path, `is not a valid name: ${issue.issues[0]?.message ?? issue.message}`);
      } else report(issue.path, issue.message);
    }
  }
  for (const problem of [...crossCheck(resolved), ...verbClashes(resolved)]) {
    report(problem.path, problem.message);
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(file, issues);
  return parsed.data;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces every `${NAME}` with the environment's value, reporting the unset ones by path (never values). */
function resolveEnvRefs(
  value: unknown,
  path: PropertyKey[],
  env: NodeJS.ProcessEnv,
  report: (path: PropertyKey[], message: string) => void,
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') {
        report(path, `references \${${name}}, which is not set in the environment`);
        return '';
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveEnvRefs(item, [...path, i], env, report));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveEnvRefs(item, [...path, key], env, report)]),
    );
  }
  return value;
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === 'number') return `${text}[${part}]`;
    return text ? `${text}.${String(part)}` : String(part);
  }, '');
}

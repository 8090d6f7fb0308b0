import { z } from 'zod';
import type { ConfigProblem } from '../config/problems.js';
import type { ParamSpecs, ParamValues } from './params.js';

/** `{name}` inside an argv element: where a param's value goes. */
const PLACEHOLDER = /\{([a-z][a-z0-9_]{0,31})\}/g;

/**
 * Elements that only mean something to a shell: opsbot runs argv directly, so they would reach the command as
 * text. Operators on their own (`|`, `&&`, `;`, `>`, ...) and redirections with their target (`>/dev/null`,
 * `2>&1`, `&>>out.log`).
 */
const SHELL_OPERATOR = /^(\||\|\||&&|&|;|;;|<|<<|<<<)$|^(\d?>>?|&>>?)(&\d)?(\S*)$/;
/** Shell expansions inside an element, which no shell will ever expand here. */
const SHELL_EXPANSION = /\$\(|`|\$[A-Za-z_{]/;
/** `sh -c`, `bash -c`, ...: a shell given a script, where a param would become code. */
const SHELL = /^(\/(usr\/)?bin\/)?(sh|bash|dash|zsh|ash|ksh)$/;
/** A shell's flags that make its next argument the script: `-c`, or `-c` among others (`-ec`, `-lc`). */
const SCRIPT_FLAG = /^-[a-z]*c[a-z]*$/;

/**
 * A command as ops.yml writes it: an argv list, run without a shell. `{param}` in an element is replaced by
 * the param's value, which stays inside that one element whatever it holds (spaces, quotes, `;`, newlines).
 */
export const Argv = z.array(z.string().min(1).max(1000)).min(1, 'must name a command').max(64);
export type Argv = z.infer<typeof Argv>;

/** The params an argv template uses, in order of first use. */
export function argvParams(argv: readonly string[]): string[] {
  const names = new Set<string>();
  for (const element of argv) for (const match of element.matchAll(PLACEHOLDER)) names.add(match[1] ?? '');
  return [...names];
}

/** The argv to run: every `{param}` replaced by its value, each element still one element. */
export function fillArgv(argv: readonly string[], params: ParamValues): string[] {
  return argv.map((element) =>
    element.replace(PLACEHOLDER, (whole, name: string) =>
      Object.hasOwn(params, name) ? String(params[name]) : whole,
    ),
  );
}

/**
 * Problems of an argv template: a `{param}` the action does not declare, shell syntax that would reach the
 * command as text, a param handed to a shell as its script, and an optional param (an empty element).
 */
export function argvProblems(argv: readonly string[], params: ParamSpecs): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const name of argvParams(argv)) {
    const spec = params[name];
    if (!spec) {
      problems.push({
        path: ['command'],
        message: `uses {${name}}, which is not one of the action's params`,
      });
    } else if (spec.optional) {
      problems.push({
        path: ['params', name],
        message: 'is used in command, so it may not be optional (an empty value would be an empty argument)',
      });
    }
  }
  // `sh -c <script> [$0 $1 ...]`: the script is run by a shell (so shell syntax in it is what it means), and
  // the elements after it are the script's arguments ($0, $1, ...), which a shell does not parse as code.
  const shell = argv.findIndex((element, i) => SHELL.test(element) && SCRIPT_FLAG.test(argv[i + 1] ?? ''));
  const script = shell >= 0 ? shell + 2 : -1;
  argv.forEach((element, i) => {
    if (i === script) return;
    if (SHELL_OPERATOR.test(element) || SHELL_EXPANSION.test(element.replace(PLACEHOLDER, ''))) {
      problems.push({
        path: ['command', i],
        message:
          'is shell syntax, but the command runs without a shell (argv only), so it would be passed as text; ' +
          'run a script in the image instead',
      });
    }
  });
  const scriptText = argv[script];
  if (scriptText !== undefined && argvParams([scriptText]).length > 0) {
    problems.push({
      path: ['command', script],
      message:
        'hands a param to a shell as its script, where it could run anything; pass params as arguments',
    });
  }
  return problems;
}

/**
 * argv as one line for plans and cards, each element quoted as a shell would need it (display only): plain
 * elements bare, others in single quotes, and those with control characters (a newline) as `$'…'` escapes.
 */
export function argvText(argv: readonly string[]): string {
  return argv.map(quoted).join(' ');
}

/**
 * argvText for showing, with secrets redacted: each element before it is quoted (quoting a secret that holds
 * a `'` or a newline changes its text, which the redactor would then miss), and the line as a whole.
 */
export function redactedArgvText(argv: readonly string[], redact: (text: string) => string): string {
  return redact(argvText(argv.map((element) => redact(element))));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what these look for
const CONTROL = /[\x00-\x1f\x7f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what these look for
const ESCAPED = /[\\'\x00-\x1f\x7f]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function quoted(element: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(element)) return element;
  if (!CONTROL.test(element)) return `'${element.replace(/'/g, `'\\''`)}'`;
  const escaped = element.replace(ESCAPED, (char) => {
    return ESCAPES[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `$'${escaped}'`;
}

import { z } from 'zod';
import type { ConfigProblem } from '../config/problems.js';
import type { ParamSpecs, ParamValues } from './params.js';

/** `{name}` inside an argv element: where a param's value goes. */
const PLACEHOLDER = /\{([a-z][a-z0-9_]{0,31})\}/g;

/** Elements that only mean something to a shell: opsbot runs argv directly, so they would reach the command as text. */
const SHELL_OPERATOR = /^(\||\|\||&&|&|;|>|>>|<|<<|2>&1|2>|&>)$/;
/** Shell expansions inside an element, which no shell will ever expand here. */
const SHELL_EXPANSION = /\$\(|`|\$[A-Za-z_{]/;
/** `sh -c`, `bash -c`, ...: a shell given a script, where a param would become code. */
const SHELL = /^(\/(usr\/)?bin\/)?(sh|bash|dash|zsh|ash|ksh)$/;

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
  argv.forEach((element, i) => {
    if (SHELL_OPERATOR.test(element) || SHELL_EXPANSION.test(element.replace(PLACEHOLDER, ''))) {
      problems.push({
        path: ['command', i],
        message:
          'is shell syntax, but the command runs without a shell (argv only), so it would be passed as text; ' +
          'run a script in the image instead',
      });
    }
  });
  const shell = argv.findIndex((element, i) => SHELL.test(element) && argv[i + 1] === '-c');
  if (shell >= 0 && argvParams(argv.slice(shell + 2)).length > 0) {
    problems.push({
      path: ['command', shell + 2],
      message:
        'hands a param to a shell as its script, where it could run anything; pass params as arguments',
    });
  }
  return problems;
}

/** argv as one line for plans and cards, each element quoted when a shell would split it (display only). */
export function argvText(argv: readonly string[]): string {
  return argv
    .map((element) =>
      /^[A-Za-z0-9_@%+=:,./-]+$/.test(element) ? element : `'${element.replace(/'/g, `'\\''`)}'`,
    )
    .join(' ');
}

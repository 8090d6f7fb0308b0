import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import {
  type Executor,
  goType,
  isMap,
  printValue,
  type TemplateFunction,
  truth,
} from './helm-template-exec.js';

/**
 * The text/template built-ins and the Sprig and Helm functions deploy/helm/opsbot uses, each with its Go
 * signature's checks (an int parameter refuses a float64 from values.yaml, a string one refuses a map), so a
 * template that helm would refuse fails here too. Only these: a chart that starts using another function fails
 * to parse ("function not defined") until it is added here.
 */
export const HELM_FUNCTIONS: ReadonlyMap<string, TemplateFunction> = new Map<string, TemplateFunction>([
  // text/template built-ins (and/or are evaluated lazily by the executor).
  ['and', () => null],
  ['or', () => null],
  ['not', ([value]) => !truth(value)],
  ['eq', (args) => arity('eq', args, 2, Infinity) && args.slice(1).some((other) => equal(args[0], other))],
  ['ne', (args) => arity('ne', args, 2, 2) && !equal(args[0], args[1])],
  ['len', (args) => arity('len', args, 1, 1) && length(args[0])],
  ['index', (args) => arity('index', args, 1, Infinity) && args.slice(1).reduce(indexOne, args[0])],
  ['print', (args) => sprint(args)],
  ['printf', ([format, ...args]) => printf(string('printf', format), args)],
  // Sprig.
  ['list', (args) => args],
  ['dict', (args) => Object.fromEntries(pairs(args))],
  ['has', ([needle, haystack]) => has(needle, haystack)],
  ['default', ([fallback, ...given]) => (given.length === 0 || !truth(given[0]) ? fallback : given[0])],
  [
    'quote',
    (args) =>
      args
        .filter((a) => a !== null && a !== undefined)
        .map((a) => JSON.stringify(strval(a)))
        .join(' '),
  ],
  ['contains', ([substring, text]) => string('contains', text).includes(string('contains', substring))],
  ['trimSuffix', ([suffix, text]) => trimSuffix(string('trimSuffix', text), string('trimSuffix', suffix))],
  ['trunc', ([count, text]) => trunc(int('trunc', count), string('trunc', text))],
  ['indent', ([spaces, text]) => indent(int('indent', spaces), string('indent', text))],
  ['nindent', ([spaces, text]) => `\n${indent(int('nindent', spaces), string('nindent', text))}`],
  ['sha256sum', ([text]) => createHash('sha256').update(string('sha256sum', text)).digest('hex')],
  ['int', ([value]) => toInt(value)],
  ['add', (args) => args.reduce((sum: bigint, value) => sum + toInt(value), 0n)],
  // Helm.
  ['include', ([name, data], exec: Executor) => exec.executeNamed(string('include', name), data)],
  [
    'toYaml',
    ([value]) => trimSuffix(stringify(plain(value), { sortMapEntries: true, indentSeq: false }), '\n'),
  ],
  ['toJson', ([value]) => JSON.stringify(plain(value))],
]);

function arity(name: string, args: unknown[], min: number, max: number): true {
  if (args.length < min || args.length > max)
    throw new Error(`wrong number of args for ${name}: got ${args.length}`);
  return true;
}

/** A string parameter: Go refuses any other type. */
function string(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new Error(`${name}: expected string; got ${goType(value)}`);
  return value;
}

/** An int parameter: a template literal or an int result; a float64 from values.yaml is refused, as in Go. */
function int(name: string, value: unknown): number {
  if (typeof value !== 'bigint') throw new Error(`${name}: expected int; got ${goType(value)}`);
  return Number(value);
}

/** spf13/cast's ToInt64, as Sprig's int and add use it: floats truncated, unparsable strings 0. */
function toInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'string' && /^[-+]?\d+$/.test(value.trim())) return BigInt(value.trim());
  return 0n;
}

/** Sprig's strval: strings as they are, anything else as fmt's %v. */
function strval(value: unknown): string {
  return typeof value === 'string' ? value : printValue(value);
}

/** text/template's eq: basic values of the same kind; an int and a float64 are incomparable, as in Go. */
function equal(a: unknown, b: unknown): boolean {
  const kinds = ['string', 'number', 'bigint', 'boolean'];
  if (!kinds.includes(typeof a) || !kinds.includes(typeof b)) throw new Error('eq: non-comparable type');
  if (typeof a !== typeof b)
    throw new Error(`incompatible types for comparison: ${goType(a)} and ${goType(b)}`);
  return a === b;
}

function length(value: unknown): bigint {
  if (typeof value === 'string' || Array.isArray(value)) return BigInt(value.length);
  if (isMap(value)) return BigInt(Object.keys(value).length);
  throw new Error(`len of type ${goType(value)}`);
}

function indexOne(item: unknown, key: unknown): unknown {
  if (isMap(item)) return Object.hasOwn(item, string('index', key)) ? item[key as string] : null;
  if (Array.isArray(item) && typeof key === 'bigint') {
    if (key < 0n || key >= BigInt(item.length)) throw new Error(`index out of range: ${key}`);
    return item[Number(key)];
  }
  if (item === null || item === undefined) throw new Error('index of untyped nil');
  throw new Error(`can't index item of type ${goType(item)}`);
}

function pairs(args: unknown[]): [string, unknown][] {
  const entries: [string, unknown][] = [];
  for (let i = 0; i < args.length; i += 2)
    entries.push([strval(args[i]), i + 1 < args.length ? args[i + 1] : '']);
  return entries;
}

function has(needle: unknown, haystack: unknown): boolean {
  if (haystack === null || haystack === undefined) return false;
  if (!Array.isArray(haystack)) throw new Error(`Cannot find has on type ${goType(haystack)}`);
  return haystack.some(
    (item) => typeof item === typeof needle && JSON.stringify(plain(item)) === JSON.stringify(plain(needle)),
  );
}

function trimSuffix(text: string, suffix: string): string {
  return suffix && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
}

function trunc(count: number, text: string): string {
  if (count < 0 && text.length + count > 0) return text.slice(text.length + count);
  return count >= 0 && text.length > count ? text.slice(0, count) : text;
}

function indent(spaces: number, text: string): string {
  const pad = ' '.repeat(spaces);
  return pad + text.replaceAll('\n', `\n${pad}`);
}

/** fmt.Sprint: a space between operands when neither is a string. */
function sprint(args: unknown[]): string {
  return args
    .map(
      (arg, i) =>
        (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + printValue(arg),
    )
    .join('');
}

/** fmt.Sprintf for %s, %d, %v, %q and %%; a verb given the wrong type prints %!verb(type=value), as Go does. */
function printf(format: string, args: unknown[]): string {
  let next = 0;
  const out = format.replace(/%([%sdvq])/g, (_, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[next++];
    const wrong = `%!${verb}(${goType(arg)}=${printValue(arg)})`;
    if (verb === 'd') return typeof arg === 'bigint' ? String(arg) : wrong;
    if (verb === 'q') return typeof arg === 'string' ? JSON.stringify(arg) : wrong;
    if (verb === 's' && typeof arg !== 'string') return wrong;
    return printValue(arg);
  });
  if (/%[^%sdvq]/.test(format)) throw new Error(`printf: verb not supported by this renderer in ${format}`);
  return next < args.length ? `${out}%!(EXTRA ${args.slice(next).map(goType).join(', ')})` : out;
}

/** A value as Helm's YAML and JSON encoders see it: Go ints (bigint) as plain numbers, map keys sorted. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (isMap(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, plain(value[k])]),
    );
  return value;
}

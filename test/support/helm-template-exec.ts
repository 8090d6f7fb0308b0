import type { BlockNode, Literal, Node, Operand, Pipeline } from './helm-template-parse.js';

/**
 * Executes templates parsed by helm-template-parse.ts with text/template's semantics as Helm runs them with
 * `--strict` (missingkey=error): a map key that is absent is an error, not `<no value>`; a field of nil or of a
 * non-map is an error; truth is Go's (false, 0, nil, "" and empty lists and maps are false); `$` is the data a
 * template was executed with; variables live until the end of the block that declared them; `and`/`or` stop at
 * the first argument that decides. Printing follows fmt's %v for the types values.yaml can hold.
 */

/** A template function: its arguments already evaluated (the piped value last), `exec` to run named templates. */
export type TemplateFunction = (args: unknown[], exec: Executor) => unknown;

interface Scope {
  variables: { name: string; value: unknown }[];
}

/** Renders named templates (`define`) and whole files against one set of definitions and functions. */
export class Executor {
  constructor(
    private readonly defines: ReadonlyMap<string, Node[]>,
    private readonly functions: ReadonlyMap<string, TemplateFunction>,
  ) {}

  /** `include`/`template`: the named template run with `data` as dot and `$`. */
  executeNamed(name: string, data: unknown): string {
    const list = this.defines.get(name);
    if (!list) throw new Error(`no template "${name}" associated with template`);
    return this.execute(list, data);
  }

  /** A parsed file run with `data` as dot and `$`. */
  execute(list: Node[], data: unknown): string {
    return this.walk(list, data, { variables: [{ name: '$', value: data }] });
  }

  private walk(list: Node[], dot: unknown, scope: Scope): string {
    const mark = scope.variables.length;
    let out = '';
    for (const node of list) out += this.node(node, dot, scope);
    scope.variables.length = mark;
    return out;
  }

  private node(node: Node, dot: unknown, scope: Scope): string {
    switch (node.type) {
      case 'text':
        return node.text;
      case 'action': {
        const value = this.pipeline(node.pipeline, dot, scope);
        return node.pipeline.variables.length > 0 ? '' : printValue(value);
      }
      case 'template':
        return this.executeNamed(node.name, node.pipeline ? this.pipeline(node.pipeline, dot, scope) : null);
      case 'if':
      case 'with': {
        const mark = scope.variables.length;
        const value = this.pipeline(node.pipeline, dot, scope);
        const out = truth(value)
          ? this.walk(node.list, node.type === 'with' ? value : dot, scope)
          : this.walk(node.elseList, dot, scope);
        scope.variables.length = mark;
        return out;
      }
      case 'range':
        return this.range(node, dot, scope);
    }
  }

  private range(node: BlockNode, dot: unknown, scope: Scope): string {
    const { variables } = node.pipeline;
    const collection = this.pipeline({ ...node.pipeline, variables: [] }, dot, scope);
    let entries: [unknown, unknown][];
    if (Array.isArray(collection)) entries = collection.map((item, index) => [BigInt(index), item]);
    else if (isMap(collection))
      entries = Object.keys(collection)
        .sort()
        .map((key) => [key, collection[key]]);
    else if (collection === null || collection === undefined) entries = [];
    else throw new Error(`range can't iterate over ${printValue(collection)}`);
    if (entries.length === 0) return this.walk(node.elseList, dot, scope);
    let out = '';
    for (const [key, item] of entries) {
      const mark = scope.variables.length;
      if (variables.length === 1) scope.variables.push({ name: variables[0] ?? '', value: item });
      if (variables.length === 2) {
        scope.variables.push({ name: variables[0] ?? '', value: key });
        scope.variables.push({ name: variables[1] ?? '', value: item });
      }
      out += this.walk(node.list, item, scope);
      scope.variables.length = mark;
    }
    return out;
  }

  private pipeline(pipeline: Pipeline, dot: unknown, scope: Scope): unknown {
    let value: unknown;
    let piped = false;
    for (const command of pipeline.commands) {
      value = this.command(command, dot, scope, piped, value);
      piped = true;
    }
    for (const name of pipeline.variables) {
      if (pipeline.assign) {
        const variable = scope.variables.findLast((v) => v.name === name);
        if (!variable) throw new Error(`undefined variable: ${name}`);
        variable.value = value;
      } else scope.variables.push({ name, value });
    }
    return value;
  }

  private command(command: Operand[], dot: unknown, scope: Scope, piped: boolean, final: unknown): unknown {
    const [first, ...rest] = command;
    if (first?.type !== 'function') {
      if (rest.length > 0 || piped) throw new Error(`can't give argument to non-function ${describe(first)}`);
      return this.operand(first, dot, scope);
    }
    const args = (): unknown[] => [
      ...rest.map((operand) => this.operand(operand, dot, scope)),
      ...(piped ? [final] : []),
    ];
    if (first.name === 'and' || first.name === 'or') {
      const lazy = [
        ...rest.map((operand) => () => this.operand(operand, dot, scope)),
        ...(piped ? [() => final] : []),
      ];
      if (lazy.length === 0) throw new Error(`wrong number of args for ${first.name}`);
      let value: unknown;
      for (const next of lazy) {
        value = next();
        if (truth(value) === (first.name === 'or')) return value;
      }
      return value;
    }
    const fn = this.functions.get(first.name);
    if (!fn) throw new Error(`function "${first.name}" not defined`);
    return fn(args(), this);
  }

  private operand(operand: Operand | undefined, dot: unknown, scope: Scope): unknown {
    switch (operand?.type) {
      case undefined:
        throw new Error('empty command');
      case 'literal':
        return operand.value;
      case 'function': {
        const fn = this.functions.get(operand.name);
        if (!fn) throw new Error(`function "${operand.name}" not defined`);
        return fn([], this);
      }
      case 'dot':
      case 'field':
        return fieldChain(dot, operand.fields);
      case 'variable': {
        const variable = scope.variables.findLast((v) => v.name === operand.name);
        if (!variable) throw new Error(`undefined variable: ${operand.name}`);
        return fieldChain(variable.value, operand.fields);
      }
      case 'pipeline':
        return fieldChain(this.pipeline(operand.pipeline, dot, scope), operand.fields);
    }
  }
}

function describe(operand: Operand | undefined): string {
  if (operand?.type === 'literal') return printValue(operand.value);
  return operand?.type ?? 'nothing';
}

function fieldChain(value: unknown, fields: string[]): unknown {
  let node = value;
  for (const field of fields) {
    if (node === null || node === undefined) throw new Error(`nil pointer evaluating interface {}.${field}`);
    if (!isMap(node)) throw new Error(`can't evaluate field ${field} in type ${goType(node)}`);
    if (!Object.hasOwn(node, field)) throw new Error(`map has no entry for key "${field}"`);
    node = node[field];
  }
  return node;
}

/** A map of values.yaml, `dict` or the top-level objects. */
export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go's truth: false, 0, nil, "" and empty lists and maps are false. */
export function truth(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** The Go type a value would have in Helm, for error messages and fmt's %!verb(type=value). */
export function goType(value: unknown): string {
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float64';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  if (isMap(value)) return 'map[string]interface {}';
  return '<nil>';
}

/** fmt's %v: float64 in %g's shortest form (1e+06, not 1000000), maps with sorted keys; nil as `<no value>`. */
export function printValue(value: unknown): string {
  if (value === null || value === undefined) return '<no value>';
  if (typeof value === 'number') return formatFloat(value);
  if (Array.isArray(value)) return `[${value.map(printValue).join(' ')}]`;
  if (isMap(value))
    return `map[${Object.keys(value)
      .sort()
      .map((key) => `${key}:${printValue(value[key])}`)
      .join(' ')}]`;
  return String(value as Literal);
}

function formatFloat(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  // strconv's shortest %g: an exponent when it is below -4 or at least 6 (so 1e+06, but 100000).
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent >= -4 && exponent < 6) return String(value);
  const [mantissa = '', power = '0'] = value.toExponential().split('e');
  const sign = power.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${power.replace(/^[-+]/, '').padStart(2, '0')}`;
}

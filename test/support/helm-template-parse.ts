/**
 * A parser for the subset of Go's text/template that Helm charts use, so test/support/helm-render.ts can render
 * deploy/helm/opsbot where helm cannot be installed: text, actions with trim markers (`{{-`, `-}}`), comments,
 * pipelines with `|`, parenthesized pipelines, variables (`$x :=`, `$x =`, `$i, $e :=` in range), fields and
 * chains on dot, variables and parentheses, string, raw string, number, bool and nil literals, `if`/`else
 * if`/`else`, `with`/`else`, `range`/`else`, `define` and `template`. Anything else (`block`, `break`,
 * `continue`, character constants, custom delimiters) is a parse error, as is a function not in `functions`:
 * Go's parser also refuses unknown functions, which is what catches a misspelled one.
 */

/** Go ints (template literals, `int`, `add`) are bigint; YAML numbers are float64 in Helm, so JS numbers. */
export type Literal = string | number | bigint | boolean | null;

export type Operand =
  | { type: 'dot'; fields: string[] }
  | { type: 'field'; fields: string[] }
  | { type: 'variable'; name: string; fields: string[] }
  | { type: 'literal'; value: Literal }
  | { type: 'function'; name: string }
  | { type: 'pipeline'; pipeline: Pipeline; fields: string[] };

export interface Pipeline {
  /** Variables declared (`:=`) or assigned (`=`) with the pipeline's value. */
  variables: string[];
  assign: boolean;
  commands: Operand[][];
}

/** `if`, `with` and `range`, each with the list run otherwise (`else`). */
export interface BlockNode {
  type: 'if' | 'with' | 'range';
  pipeline: Pipeline;
  list: Node[];
  elseList: Node[];
}

export type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pipeline: Pipeline }
  | BlockNode
  | { type: 'template'; name: string; pipeline: Pipeline | null };

export interface ParsedTemplate {
  root: Node[];
  defines: Map<string, Node[]>;
}

interface Token {
  kind: 'punct' | 'string' | 'number' | 'word' | 'field' | 'variable' | 'dot';
  text: string;
  value: Literal;
  spaceBefore: boolean;
}

const SPACE = /[ \t\r\n]/;

/** Parses one file; `name` is used in error messages, `functions` are the names calls may use. */
export function parseTemplate(name: string, text: string, functions: ReadonlySet<string>): ParsedTemplate {
  const defines = new Map<string, Node[]>();
  const root: Node[] = [];
  type Open = { node: BlockNode; inElse: boolean; chained: boolean };
  const stack: (Open | { define: string; list: Node[] })[] = [];
  const target = (): Node[] => {
    const top = stack.at(-1);
    if (!top) return root;
    if ('define' in top) return top.list;
    return top.inElse ? top.node.elseList : top.node.list;
  };
  let pos = 0;
  let trimNext = false;
  while (pos < text.length) {
    let open = text.indexOf('{{', pos);
    if (open < 0) open = text.length;
    let chunk = text.slice(pos, open);
    if (trimNext) chunk = chunk.replace(/^[ \t\r\n]+/, '');
    const trimLeft = text.startsWith('{{-', open) && SPACE.test(text[open + 3] ?? '');
    if (trimLeft) chunk = chunk.replace(/[ \t\r\n]+$/, '');
    if (chunk) target().push({ type: 'text', text: chunk });
    if (open >= text.length) break;
    const where = `${name}:${text.slice(0, open).split('\n').length}`;
    const start = open + (trimLeft ? 4 : 2);
    const comment = /^\/\*[\s\S]*?\*\/( -)?\}\}/.exec(text.slice(start));
    if (comment) {
      pos = start + comment[0].length;
      trimNext = comment[1] !== undefined;
      continue;
    }
    const lexed = lexAction(text, start, where);
    pos = lexed.end;
    trimNext = lexed.trimRight;
    const tokens = lexed.tokens;
    const keyword = tokens[0]?.kind === 'word' ? tokens[0].text : '';
    const rest = tokens.slice(1);
    const fail = (message: string): never => {
      throw new Error(`template: ${where}: ${message}`);
    };
    if (keyword === 'if' || keyword === 'with' || keyword === 'range') {
      const node: BlockNode = {
        type: keyword,
        pipeline: parsePipeline(rest, where, functions),
        list: [],
        elseList: [],
      };
      target().push(node);
      stack.push({ node, inElse: false, chained: false });
    } else if (keyword === 'else') {
      const top = stack.at(-1);
      if (!top || 'define' in top || top.inElse) fail('unexpected {{else}}');
      const block = top as Open;
      block.inElse = true;
      const chained = rest[0]?.kind === 'word' ? rest[0].text : '';
      if (chained === 'if' || (chained === 'with' && block.node.type === 'with')) {
        const pipeline = parsePipeline(rest.slice(1), where, functions);
        const node: BlockNode = { type: chained, pipeline, list: [], elseList: [] };
        block.node.elseList.push(node);
        stack.push({ node, inElse: false, chained: true });
      } else if (rest.length > 0) fail(`unexpected ${rest[0]?.text} after else`);
    } else if (keyword === 'end') {
      if (rest.length > 0) fail('unexpected tokens after end');
      let top = stack.pop();
      if (!top) fail('unexpected {{end}}');
      while (top && !('define' in top) && top.chained) top = stack.pop();
      if (top && 'define' in top) defines.set(top.define, top.list);
    } else if (keyword === 'define') {
      if (stack.length > 0) fail('define inside a block');
      const templateName =
        rest[0]?.kind === 'string' && rest.length === 1 ? String(rest[0].value) : fail('bad define');
      stack.push({ define: templateName, list: [] });
    } else if (keyword === 'template') {
      const templateName = rest[0]?.kind === 'string' ? String(rest[0].value) : fail('bad template');
      const pipeline = rest.length > 1 ? parsePipeline(rest.slice(1), where, functions) : null;
      target().push({ type: 'template', name: templateName, pipeline });
    } else if (['block', 'break', 'continue'].includes(keyword)) {
      fail(`{{${keyword}}} is not supported by this renderer`);
    } else {
      target().push({ type: 'action', pipeline: parsePipeline(tokens, where, functions) });
    }
  }
  if (stack.length > 0) throw new Error(`template: ${name}: unexpected EOF (a block is not closed)`);
  return { root, defines };
}

function lexAction(text: string, start: number, where: string) {
  const tokens: Token[] = [];
  let pos = start;
  let spaceBefore = false;
  const fail = (message: string): never => {
    throw new Error(`template: ${where}: ${message}`);
  };
  for (;;) {
    if (pos >= text.length) fail('unclosed action');
    const char = text[pos] ?? '';
    if (SPACE.test(char)) {
      spaceBefore = true;
      pos += 1;
      continue;
    }
    if (text.startsWith('}}', pos)) return { tokens, end: pos + 2, trimRight: false };
    if (spaceBefore && text.startsWith('-}}', pos)) return { tokens, end: pos + 3, trimRight: true };
    const rest = text.slice(pos);
    const match =
      /^(?:\(|\)|\||,|:=|=)/.exec(rest) ??
      /^"(?:[^"\\\n]|\\.)*"/.exec(rest) ??
      /^`[^`]*`/.exec(rest) ??
      /^[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(rest) ??
      /^\$\w*/.exec(rest) ??
      /^\.[A-Za-z_]\w*/.exec(rest) ??
      /^\./.exec(rest) ??
      /^[A-Za-z_]\w*/.exec(rest) ??
      fail(`unexpected ${JSON.stringify(char)} in action`);
    const lexeme = match[0];
    const token = (kind: Token['kind'], value: Literal = null): Token => ({
      kind,
      text: lexeme,
      value,
      spaceBefore,
    });
    if (/^[()|,=:]/.test(lexeme)) tokens.push(token('punct'));
    else if (lexeme.startsWith('"')) tokens.push(token('string', JSON.parse(goEscapes(lexeme)) as string));
    else if (lexeme.startsWith('`')) tokens.push(token('string', lexeme.slice(1, -1)));
    else if (/^[-+\d]/.test(lexeme))
      tokens.push(token('number', /[.eE]/.test(lexeme) ? Number(lexeme) : BigInt(lexeme)));
    else if (lexeme.startsWith('$')) tokens.push(token('variable'));
    else if (lexeme === '.') tokens.push(token('dot'));
    else if (lexeme.startsWith('.')) tokens.push(token('field'));
    else tokens.push(token('word'));
    pos += lexeme.length;
    spaceBefore = false;
  }
}

/** Go's `\xNN` and `\'` escapes in JSON's spelling; the others are the same in both. */
function goEscapes(quoted: string): string {
  return quoted.replace(/\\(x[0-9a-fA-F]{2}|')/g, (_, sequence: string) =>
    sequence === "'" ? "'" : `\\u00${sequence.slice(1)}`,
  );
}

function parsePipeline(tokens: Token[], where: string, functions: ReadonlySet<string>): Pipeline {
  const fail = (message: string): never => {
    throw new Error(`template: ${where}: ${message}`);
  };
  const variables: string[] = [];
  let assign = false;
  let pos = 0;
  const declaration = tokens.findIndex((t) => t.text === ':=' || t.text === '=');
  if (
    declaration > 0 &&
    tokens.slice(0, declaration).every((t, i) => (i % 2 ? t.text === ',' : t.kind === 'variable'))
  ) {
    for (let i = 0; i < declaration; i += 2) variables.push(tokens[i]?.text ?? '');
    assign = tokens[declaration]?.text === '=';
    pos = declaration + 1;
  }
  const commands: Operand[][] = [];
  let command: Operand[] = [];
  const fields = (): string[] => {
    const names: string[] = [];
    while (tokens[pos]?.kind === 'field' && !tokens[pos]?.spaceBefore) {
      names.push(tokens[pos]?.text.slice(1) ?? '');
      pos += 1;
    }
    return names;
  };
  while (pos < tokens.length) {
    const token = tokens[pos] as Token;
    pos += 1;
    if (token.text === '|') {
      if (command.length === 0) fail('missing command before |');
      commands.push(command);
      command = [];
    } else if (token.text === '(') {
      let depth = 1;
      const inner = pos;
      while (pos < tokens.length && depth > 0) {
        if (tokens[pos]?.text === '(') depth += 1;
        if (tokens[pos]?.text === ')') depth -= 1;
        pos += 1;
      }
      if (depth > 0) fail('unclosed left paren');
      const pipeline = parsePipeline(tokens.slice(inner, pos - 1), where, functions);
      command.push({ type: 'pipeline', pipeline, fields: fields() });
    } else if (token.kind === 'string' || token.kind === 'number') {
      command.push({ type: 'literal', value: token.value });
    } else if (token.kind === 'variable') {
      command.push({ type: 'variable', name: token.text, fields: fields() });
    } else if (token.kind === 'dot') {
      command.push({ type: 'dot', fields: fields() });
    } else if (token.kind === 'field') {
      command.push({ type: 'field', fields: [token.text.slice(1), ...fields()] });
    } else if (token.kind === 'word') {
      const constants: Record<string, Literal> = { true: true, false: false, nil: null };
      if (token.text in constants) command.push({ type: 'literal', value: constants[token.text] ?? null });
      else if (functions.has(token.text)) command.push({ type: 'function', name: token.text });
      else fail(`function "${token.text}" not defined`);
    } else fail(`unexpected "${token.text}" in command`);
  }
  if (command.length === 0) fail('missing value for command');
  commands.push(command);
  return { variables, assign, commands };
}

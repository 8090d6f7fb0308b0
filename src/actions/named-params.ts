/** SQL with `:name` placeholders turned into `$n` for pg, and the names in bind order. */
export interface CompiledSql {
  text: string;
  names: string[];
}

/**
 * Replaces `:name` placeholders with `$1…$n`, skipping string literals, quoted identifiers,
 * comments and `::` casts, so values are always bound as real query parameters.
 */
export function compileNamedParams(sql: string): CompiledSql {
  const names: string[] = [];
  let text = '';
  let i = 0;
  while (i < sql.length) {
    const char = sql[i] as string;
    const next = sql[i + 1];
    if (char === "'" || char === '"') {
      const end = closingQuote(sql, i, char);
      text += sql.slice(i, end);
      i = end;
    } else if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      text += sql.slice(i, stop);
      i = stop;
    } else if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      text += sql.slice(i, stop);
      i = stop;
    } else if (char === ':' && next === ':') {
      text += '::';
      i += 2;
    } else if (char === ':' && next !== undefined && /[a-z_]/.test(next)) {
      const match = /^[a-z_][a-z0-9_]*/.exec(sql.slice(i + 1)) as RegExpExecArray;
      const name = match[0];
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      text += `$${index + 1}`;
      i += 1 + name.length;
    } else {
      text += char;
      i += 1;
    }
  }
  return { text, names };
}

function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i += 1;
  }
  return sql.length;
}

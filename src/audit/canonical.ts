/** A JSON value as JSON.parse returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The value as JSON sees it: what JSON.stringify keeps of it (toJSON applied, undefined members and
 * functions dropped, non-finite numbers as null), parsed back. `undefined` becomes null.
 */
export function toJsonValue(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units) at every depth, arrays in their order, no
 * whitespace, strings and numbers as JSON.stringify writes them. Two values that JSON considers equal
 * apart from key order give the same text, so a jsonb column (which reorders keys) round-trips it.
 * The audit hash chain depends on this exact format: changing it invalidates every stored hash.
 */
export function canonicalJson(value: unknown): string {
  return write(toJsonValue(value));
}

function write(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  const keys = Object.keys(value).sort(compareCodeUnits);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${write(value[key] as JsonValue)}`).join(',')}}`;
}

/** Plain code-unit order, independent of locale (the default sort compares the same way, spelled out). */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

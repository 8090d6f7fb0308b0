/** `record[key]` only if it is the record's own entry: user-typed names like `constructor` find nothing. */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

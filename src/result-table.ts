/** A table shown on a run card or in a thread. */
export interface ResultTable {
  columns: string[];
  rows: string[][];
  /** All matching rows, of which `rows` may show only the first few. */
  total: number;
}

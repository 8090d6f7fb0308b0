/** SQL for a bound parameter holding milliseconds, as an interval: `now() - ${ms('$1')}`. */
export const ms = (param: string) => `(${param}::float8 * interval '1 millisecond')`;

import { describe, expect, it } from 'vitest';
import { compileNamedParams } from '../../../src/actions/named-params.js';

describe('compileNamedParams', () => {
  it('turns :name placeholders into $n in order of first use', () => {
    expect(
      compileNamedParams('SELECT * FROM jobs WHERE study_id = :study AND attempt < :max_attempts'),
    ).toEqual({
      text: 'SELECT * FROM jobs WHERE study_id = $1 AND attempt < $2',
      names: ['study', 'max_attempts'],
    });
  });

  it('reuses the index of a name used more than once', () => {
    expect(compileNamedParams('SELECT :a, :b, :a, :b, :c')).toEqual({
      text: 'SELECT $1, $2, $1, $2, $3',
      names: ['a', 'b', 'c'],
    });
  });

  it('leaves :: casts alone, including a cast right after a placeholder', () => {
    expect(compileNamedParams("SELECT '1'::int, :limit::bigint, now()::text")).toEqual({
      text: "SELECT '1'::int, $1::bigint, now()::text",
      names: ['limit'],
    });
  });

  it("leaves ':name' inside a string literal alone", () => {
    expect(compileNamedParams("SELECT ':study' AS label, :study AS value")).toEqual({
      text: "SELECT ':study' AS label, $1 AS value",
      names: ['study'],
    });
  });

  it('leaves "quoted:ident" identifiers alone', () => {
    expect(compileNamedParams('SELECT "weird:col" FROM t WHERE id = :id')).toEqual({
      text: 'SELECT "weird:col" FROM t WHERE id = $1',
      names: ['id'],
    });
  });

  it('leaves :name inside -- line comments alone, but not on the next line', () => {
    expect(compileNamedParams('SELECT 1 -- :skipped\nWHERE id = :id')).toEqual({
      text: 'SELECT 1 -- :skipped\nWHERE id = $1',
      names: ['id'],
    });
  });

  it('leaves a -- comment that runs to the end of the text alone', () => {
    expect(compileNamedParams('SELECT :a -- :b')).toEqual({ text: 'SELECT $1 -- :b', names: ['a'] });
  });

  it('leaves :name inside /* block comments */ alone', () => {
    expect(compileNamedParams('SELECT /* :skipped\n :also */ :id')).toEqual({
      text: 'SELECT /* :skipped\n :also */ $1',
      names: ['id'],
    });
  });

  it("handles doubled quotes inside a literal: 'it''s :x'", () => {
    expect(compileNamedParams("SELECT 'it''s :x' , :y")).toEqual({
      text: "SELECT 'it''s :x' , $1",
      names: ['y'],
    });
  });

  it('handles doubled quotes inside a quoted identifier', () => {
    expect(compileNamedParams('SELECT "a"":b" , :c')).toEqual({ text: 'SELECT "a"":b" , $1', names: ['c'] });
  });

  it('keeps an unterminated literal as text without compiling inside it', () => {
    expect(compileNamedParams("SELECT :a, 'open :b")).toEqual({ text: "SELECT $1, 'open :b", names: ['a'] });
  });

  it('does not treat a colon before a digit, upper-case letter or space as a placeholder', () => {
    expect(compileNamedParams('SELECT arr[1:2], :Upper, a : b')).toEqual({
      text: 'SELECT arr[1:2], :Upper, a : b',
      names: [],
    });
  });

  it('reads the longest lower_snake name', () => {
    expect(compileNamedParams('WHERE x = :study_id2+1')).toEqual({
      text: 'WHERE x = $1+1',
      names: ['study_id2'],
    });
  });

  it('returns text without placeholders unchanged', () => {
    const sql = "UPDATE jobs SET status = 'pending' WHERE status = 'failed'";
    expect(compileNamedParams(sql)).toEqual({ text: sql, names: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_COMMAND_TEXT, parseCommand, textAfter } from '../../../src/commands/parse.js';
import { UserError } from '../../../src/errors.js';

/** What a command splits into, without the raw text every result carries. */
function tokens(text: string) {
  const { raw: _raw, ...rest } = parseCommand(text);
  return rest;
}

function userErrorOf(text: string): UserError {
  try {
    parseCommand(text);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error(`parseCommand(${JSON.stringify(text)}) did not throw`);
}

describe('parseCommand', () => {
  it('lower-cases the verb but keeps the case of args', () => {
    expect(tokens('RETRY Bentham Study_ABC')).toEqual({
      verb: 'retry',
      args: ['Bentham', 'Study_ABC'],
      named: {},
    });
  });

  it('splits positional args on any run of whitespace', () => {
    expect(tokens('  retry \t bentham   study_abc123  ')).toEqual({
      verb: 'retry',
      args: ['bentham', 'study_abc123'],
      named: {},
    });
  });

  it('collects name=value pairs apart from positional args', () => {
    expect(tokens('retry bentham study=study_abc limit=5 extra')).toEqual({
      verb: 'retry',
      args: ['bentham', 'extra'],
      named: { study: 'study_abc', limit: '5' },
    });
  });

  it('keeps text that is not a lower_snake name before = as a positional arg', () => {
    const parsed = parseCommand('run svc Study=x 1a=b a=b=c');
    expect(parsed.args).toEqual(['svc', 'Study=x', '1a=b']);
    expect(parsed.named).toEqual({ a: 'b=c' });
  });

  it('keeps spaces inside double and single quotes', () => {
    expect(tokens(`annotate bentham "two words" 'three more words'`)).toEqual({
      verb: 'annotate',
      args: ['bentham', 'two words', 'three more words'],
      named: {},
    });
  });

  it('keeps the other kind of quote inside a quoted arg', () => {
    expect(tokens(`note svc "it's fine" 'say "hi"'`).args).toEqual(['svc', "it's fine", 'say "hi"']);
  });

  it('treats Slack smart quotes like plain quotes', () => {
    expect(tokens('annotate bentham “two words” ‘single ones’').args).toEqual([
      'bentham',
      'two words',
      'single ones',
    ]);
  });

  it('reads a quoted value after name=', () => {
    expect(tokens('annotate bentham message="executor timed out" note=“smart quoted”').named).toEqual({
      message: 'executor timed out',
      note: 'smart quoted',
    });
  });

  it('keeps an empty quoted arg as an empty string', () => {
    expect(tokens(`retry bentham "" message=''`)).toEqual({
      verb: 'retry',
      args: ['bentham', ''],
      named: { message: '' },
    });
  });

  it('decodes the HTML entities Slack sends for <, > and &', () => {
    expect(tokens('note svc a&lt;b c&gt;d x&amp;y').args).toEqual(['svc', 'a<b', 'c>d', 'x&y']);
  });

  it('decodes &amp; last, so an escaped entity stays literal text', () => {
    expect(tokens('note svc &amp;lt;').args).toEqual(['svc', '&lt;']);
  });

  it('keeps an apostrophe inside a word as text, plain or curly', () => {
    expect(tokens("note don't restart it").args).toEqual(["don't", 'restart', 'it']);
    expect(tokens('note message=it’s fine').named).toEqual({ message: "it's" });
  });

  it('refuses an unclosed double quote', () => {
    expect(userErrorOf('annotate bentham "no end').message).toMatch(/" quote is not closed/);
  });

  it('refuses an unclosed single quote', () => {
    expect(userErrorOf("annotate bentham message='no end").message).toMatch(/' quote is not closed/);
  });

  it('refuses an unclosed smart quote', () => {
    expect(() => parseCommand('annotate bentham “no end')).toThrow(UserError);
  });

  it('refuses a name given twice', () => {
    expect(userErrorOf('retry bentham study=a study=b').message).toBe('study= is given twice.');
  });

  it('accepts a param named like an Object.prototype member (constructor=) given once', () => {
    // `constructor` is on every object's prototype; only own entries count as given.
    expect(tokens('retry bentham constructor=x').named).toEqual({ constructor: 'x' });
  });

  it(`accepts text of exactly ${MAX_COMMAND_TEXT} characters`, () => {
    const text = `note svc ${'a'.repeat(MAX_COMMAND_TEXT - 'note svc '.length)}`;
    expect(text).toHaveLength(MAX_COMMAND_TEXT);
    expect(tokens(text).args[1]).toHaveLength(MAX_COMMAND_TEXT - 'note svc '.length);
  });

  it(`refuses text over ${MAX_COMMAND_TEXT} characters instead of cutting it`, () => {
    expect(userErrorOf('a'.repeat(MAX_COMMAND_TEXT + 1)).message).toMatch(/too long/);
  });

  it('parses empty or blank text to an empty verb', () => {
    expect(tokens('')).toEqual({ verb: '', args: [], named: {} });
    expect(tokens('   ')).toEqual({ verb: '', args: [], named: {} });
  });

  it('gives no verb when the first token is name=value', () => {
    expect(tokens('study=x').verb).toBe('');
  });
});

describe('textAfter', () => {
  it('is the free text after the first words, with one pair of surrounding quotes removed', () => {
    expect(textAfter('note  the executor is OOM: x=5 ', 1)).toBe('the executor is OOM: x=5');
    expect(textAfter('incident declare SEV2 "Study failures"', 3)).toBe('Study failures');
    expect(textAfter('incident resolve', 2)).toBe('');
    expect(parseCommand('note it’s “fine” &amp; done').raw).toBe('note it\'s "fine" & done');
  });
});

import { Writable } from 'node:stream';

/** A stream that keeps each chunk written to it, as text, in `into`: a logger's lines, a console's output. */
export function collectInto(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      into.push(chunk.toString('utf8'));
      done();
    },
  });
}

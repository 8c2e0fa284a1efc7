// The other side of src/sql/parse-ahead.ts, on a worker thread: parses the texts it is given, in
// order, with PostgreSQL's parser, and sends each answer back as the parser's JSON, a few at a time.
import { workerData, type MessagePort } from 'node:worker_threads';
import { loadSqlParser, parseSqlToJson, type ParserError } from './parser.js';

/** How parse-ahead.ts starts the worker: where it answers. */
export interface ParseStart {
  readonly port: MessagePort;
}

/** What parse-ahead.ts sends on that port once it has read the files: the texts by index (undefined: not parsed here). */
export interface ParseJob {
  readonly texts: readonly (string | undefined)[];
}

/** One text's answer: its parse tree as JSON, or the parser's error. */
export type ParseAnswer =
  | { readonly index: number; readonly json: string }
  | { readonly index: number; readonly error: ParserError };

const { port } = workerData as ParseStart;
// The parser loads while the other thread reads the files.
await loadSqlParser();
port.once('message', ({ texts }: ParseJob) => {
  // A few answers a message: one message per file costs the receiving thread more to take than
  // the answers themselves; many at once keep it waiting for the first files.
  const batchSize = 8;
  let batch: ParseAnswer[] = [];
  for (const [index, text] of texts.entries()) {
    if (text === undefined || text === '') continue;
    const answer = parseSqlToJson(text);
    batch.push(answer.ok ? { index, json: answer.json } : { index, error: answer.error });
    if (batch.length === batchSize) {
      port.postMessage(batch);
      batch = [];
    }
  }
  port.postMessage(batch);
  port.close();
});

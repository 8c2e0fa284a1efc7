import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { parseFailure, parseSqlFromJson, type ParseOutcome } from './parser.js';
import type { ParseAnswer, ParseJob } from './parse-worker.js';

/**
 * Parses a folder's files on a second thread while this one judges them (`migc lint` on a large
 * folder): the parser's WebAssembly work moves off the thread that analyses, which has the most
 * to do. Nothing here waits for the other thread: take() answers with what has arrived, and the
 * caller parses a file itself when its answer is not there yet (the first files, while the worker
 * starts). Either way the outcome is PostgreSQL's parse of the same text, so findings cannot
 * depend on timing.
 */
export class ParseAhead {
  private readonly answers = new Map<number, ParseAnswer>();

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
  ) {}

  /**
   * Starts the worker, which loads a parser of its own while the caller reads the files, or
   * returns undefined when it would not pay or cannot run: fewer than `from` files, one CPU, no
   * compiled worker beside this module (the TypeScript sources, under the tests), or
   * MIGC_PARSE_AHEAD=off. MIGC_PARSE_AHEAD=on starts it for any number of files.
   */
  static start({ files, from, env = process.env }: { files: number; from: number; env?: NodeJS.ProcessEnv }): ParseAhead | undefined {
    const mode = env.MIGC_PARSE_AHEAD;
    if (mode === 'off' || (mode !== 'on' && (files < from || availableParallelism() < 2))) return undefined;
    const file = new URL('./parse-worker.js', import.meta.url);
    if (!existsSync(fileURLToPath(file))) return undefined;
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(file, { workerData: { port: port2 }, transferList: [port2] });
    // It never keeps the process alive, and a worker that fails only means parsing here.
    worker.unref();
    worker.on('error', () => undefined);
    return new ParseAhead(worker, port1);
  }

  /** Gives the worker the texts to parse, by index (undefined: a text the caller parses itself). */
  parse(texts: readonly (string | undefined)[]): void {
    const job: ParseJob = { texts };
    this.port.postMessage(job);
  }

  /** The outcome of parsing text `index` (which is `sql`), if the worker has sent it. */
  take(index: number, sql: string): ParseOutcome | undefined {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      for (const answer of m.message as ParseAnswer[]) this.answers.set(answer.index, answer);
    }
    const answer = this.answers.get(index);
    if (!answer) return undefined;
    this.answers.delete(index);
    return 'json' in answer ? parseSqlFromJson(sql, answer.json) : parseFailure(sql, answer.error);
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

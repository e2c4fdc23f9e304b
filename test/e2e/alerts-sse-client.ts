/**
 * A minimal server-sent events reader for the live-stream tests: a real HTTP connection, parsed
 * per the WHATWG event-stream format (fields until a blank line; lines starting with ':' are
 * comments). It keeps everything it received so tests can wait for what they expect.
 */
import http, { type IncomingMessage } from 'node:http';

export interface SseMessage {
  id: string | null;
  event: string;
  data: unknown;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  messages: SseMessage[];
  comments: string[];
  /** Resolves with the first message (already received or future) that matches. */
  next(match: (m: SseMessage) => boolean): Promise<SseMessage>;
  /** Resolves with the first comment that matches. */
  nextComment(match: (c: string) => boolean): Promise<string>;
  /** Resolves when the server ended or cut the stream. */
  ended: Promise<void>;
  readonly closed: boolean;
  /** Stops reading without closing: the socket's receive window fills up (a slow consumer). */
  stall(): void;
  close(): void;
  /** The raw body when the answer was not a stream (an error). */
  body(): Promise<string>;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      const waiters: (() => void)[] = [];
      let buffer = '';
      let bodyText = '';
      let closed = false;
      const notify = () => { for (const w of waiters.splice(0)) w(); };
      const ended = new Promise<void>((done) => {
        res.on('close', () => { closed = true; notify(); done(); });
        res.on('error', () => undefined);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        bodyText += res.statusCode === 200 ? '' : chunk;
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id: string | null = null;
          let event = 'message';
          let data: string | null = null;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data !== null) messages.push({ id, event, data: JSON.parse(data) as unknown });
        }
        notify();
      });
      const waitFor = <T>(find: () => T | undefined, what: string): Promise<T> => new Promise((done, fail) => {
        const check = () => {
          const found = find();
          if (found !== undefined) done(found);
          else if (closed) fail(new Error(`stream ended before ${what}`));
          else waiters.push(check);
        };
        check();
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages,
        comments,
        next: (match) => waitFor(() => messages.find(match), 'the expected message'),
        nextComment: (match) => waitFor(() => comments.find(match), 'the expected comment'),
        ended,
        get closed() { return closed; },
        stall: () => { res.pause(); },
        close: () => { req.destroy(); },
        body: async () => { await ended; return bodyText; },
      });
    });
    req.on('error', reject);
  });
}

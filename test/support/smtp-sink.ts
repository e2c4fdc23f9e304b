/** Test support: a real SMTP server (smtp-server) on a loopback port that keeps what it receives. */
import type { AddressInfo } from 'node:net';

import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  raw: string;
  subject: string | undefined;
  /** Body with quoted-printable soft breaks removed. */
  body: string;
}

export interface SmtpSink {
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Resolves with the next message (or one already received beyond `seen`). */
  next(): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpSink(options: Partial<SMTPServerOptions> = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const waiters: ((mail: ReceivedMail) => void)[] = [];
  let consumed = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: /^Subject: (.*)$/m.exec(head)?.[1]?.trim(),
          body: rest.join('\n\n').replace(/=\r?\n/g, ''),
        };
        messages.push(mail);
        const waiter = waiters.shift();
        if (waiter) {
          consumed++;
          waiter(mail);
        }
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    next() {
      if (consumed < messages.length) return Promise.resolve(messages[consumed++]!);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

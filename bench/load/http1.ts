// The little HTTP/1.1 the load generator needs: a request serialised once and
// an incremental parser for replies framed by Content-Length (what node:http
// and Fastify send for a single-buffer reply). Anything else is an error that
// says what arrived, so a benchmark never counts a reply it did not understand.

export function requestBytes(host: string, port: number, path: string, body: Buffer): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}

export interface Reply {
  readonly status: number;
  readonly body: Buffer;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const MAX_HEAD = 16 * 1024;

export class ReplyParser {
  #buffer: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the replies completed by them (one per request on a keep-alive socket). */
  push(chunk: Buffer): Reply[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const replies: Reply[] = [];
    for (;;) {
      const headEnd = this.#buffer.indexOf(HEAD_END);
      if (headEnd < 0) {
        if (this.#buffer.length > MAX_HEAD) throw new Error(`reply head longer than ${MAX_HEAD} bytes`);
        return replies;
      }
      const head = this.#buffer.subarray(0, headEnd).toString("latin1");
      const [statusLine = "", ...headers] = head.split("\r\n");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      if (!match) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
      let length: number | undefined;
      for (const header of headers) {
        const colon = header.indexOf(":");
        const name = header.slice(0, colon).trim().toLowerCase();
        if (name === "content-length") length = Number(header.slice(colon + 1).trim());
        else if (name === "transfer-encoding") throw new Error(`unsupported reply framing: ${header}`);
      }
      if (length === undefined || !Number.isInteger(length) || length < 0) throw new Error(`reply without a valid Content-Length (status ${match[1]})`);
      const end = headEnd + HEAD_END.length + length;
      if (this.#buffer.length < end) return replies;
      replies.push({ status: Number(match[1]), body: this.#buffer.subarray(headEnd + HEAD_END.length, end) });
      this.#buffer = this.#buffer.subarray(end);
    }
  }
}

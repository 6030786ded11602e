import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ReplyParser, requestBytes } from "../../../bench/load/http1.ts";

const reply = (status: number, body: string, extra = "") => Buffer.from(`HTTP/1.1 ${status} OK\r\nContent-Type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

describe("requestBytes", () => {
  it("frames a POST with the exact Content-Length and the body after the blank line", () => {
    const body = Buffer.from('{"é":1}');
    const text = requestBytes("127.0.0.1", 8443, "/mutate", body).toString("utf8");
    assert.match(text, /^POST \/mutate HTTP\/1\.1\r\nHost: 127\.0\.0\.1:8443\r\n/);
    assert.match(text, new RegExp(`Content-Length: ${body.length}\\r\\n\\r\\n\\{"é":1\\}$`));
  });
});

describe("ReplyParser", () => {
  it("returns replies however the bytes are split across chunks (property)", () => {
    const stream = Buffer.concat([reply(200, '{"a":1}'), reply(500, "boom"), reply(200, "")]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 8 }), (cuts) => {
        const parser = new ReplyParser();
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const replies = points.slice(1).flatMap((end, i) => parser.push(stream.subarray(points[i], end)));
        assert.deepEqual(
          replies.map((r) => [r.status, r.body.toString()]),
          [
            [200, '{"a":1}'],
            [500, "boom"],
            [200, ""],
          ],
        );
      }),
    );
  });

  it("refuses replies it cannot frame, saying why", () => {
    assert.throws(() => new ReplyParser().push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")), /unsupported reply framing/);
    assert.throws(() => new ReplyParser().push(Buffer.from("HTTP/1.1 200 OK\r\nX: y\r\n\r\n")), /without a valid Content-Length \(status 200\)/);
    assert.throws(() => new ReplyParser().push(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n")), /not an HTTP\/1\.1 status line/);
    assert.throws(() => new ReplyParser().push(Buffer.alloc(17 * 1024, "a")), /reply head longer than/);
  });
});

// Connection bookkeeping for a graceful stop. server.close() waits for every
// socket, and an apiserver keeps TLS connections open that may never carry a
// request (Node's closeIdleConnections does not see those), so shutdown would
// wait for headersTimeout. Here, a socket is ended as soon as it has no
// request in flight once draining has begun.
import type { Server } from "node:https";
import type { Socket } from "node:net";

export interface ConnectionTracker {
  /** Ends idle sockets now and each busy one when its last request finishes. */
  drain(): void;
  /** Sockets open right now (for tests and logs). */
  readonly open: number;
}

export function trackConnections(server: Server): ConnectionTracker {
  const inFlight = new Map<Socket, number>();
  let draining = false;
  const endIfIdle = (socket: Socket) => {
    if (draining && (inFlight.get(socket) ?? 0) === 0) socket.end();
  };
  server.on("secureConnection", (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once("close", () => inFlight.delete(socket));
    endIfIdle(socket);
  });
  server.on("request", (request: { socket: Socket }, response: { once(event: "close", listener: () => void): void }) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once("close", () => {
      if (!inFlight.has(socket)) return;
      inFlight.set(socket, Math.max(0, (inFlight.get(socket) ?? 1) - 1));
      endIfIdle(socket);
    });
  });
  return {
    drain() {
      draining = true;
      for (const socket of inFlight.keys()) endIfIdle(socket);
    },
    get open() {
      return inFlight.size;
    },
  };
}

import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP server whose every connection is piped both ways to a connection `dial` opens (a port forward); either
 * side failing ends both.
 */
export function pipeServer(dial: () => Socket): Server {
  return createServer((client) => {
    const upstream = dial();
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
}

import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProbeTarget } from './socket.js';

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/** One HTTP(S) request with a JSON body, no keep-alive; TLS trusts the test CA and presents the client certificate. */
export function httpJson(
  target: ProbeTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Readonly<Record<string, string>> = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { certs } = target;
    const options = {
      host: target.host,
      port: target.port,
      method,
      path,
      agent: false as const,
      timeout: target.timeoutMs ?? 2000,
      headers: {
        ...headers,
        ...(payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      },
    };
    const request = certs
      ? httpsRequest({
          ...options,
          ca: readFileSync(certs.ca),
          cert: readFileSync(certs.clientCert),
          key: readFileSync(certs.clientKey),
          servername: 'localhost',
        })
      : httpRequest(options);
    request.on('timeout', () => request.destroy(new Error(`no answer from ${target.host}:${target.port}${path}`)));
    request.on('error', reject);
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on('error', reject);
    });
    request.end(payload);
  });
}

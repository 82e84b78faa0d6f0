/** `--web-address` / `--turn-address` values; apart from verify.ts so node:net loads only when verify runs. */
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

/** `ip`, `ip:port` or `[ipv6]:port`, as `--web-address` and `--turn-address` take them. */
export function parseAddress(flag: string, value: string): { ip: string; port?: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value) ?? /^(.+)()$/.exec(value)!;
  const ip = m[1]!;
  const port = m[2] ? Number(m[2]) : undefined;
  if (isIP(ip) === 0 || (port !== undefined && (port < 1 || port > 65535))) {
    throw new UsageError(`verify: ${flag}: an IP address, optionally with :port (got ${value})`);
  }
  return { ip, ...(port ? { port } : {}) };
}

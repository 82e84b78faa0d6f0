/**
 * `bench` on a jwt deployment: one token per participant, minted from the secrets file the config
 * names, so a token-protected site needs no --jwt. The tokens live in memory only (room URLs).
 */
import { loadConfig, loadSecrets, secretsPathFor } from '../config/file.js';
import { appSecret, mintToken } from '../cluster/token.js';

/** How long a bench token lasts: longer than any run, short enough not to matter once it is over. */
export const BENCH_TOKEN_SECONDS = 12 * 3600;

/** undefined when the config is not a jwt deployment; else `count` tokens for any room, the first a moderator's. */
export async function benchTokens(configPath: string, count: number, displayName: string, nowMs = Date.now()): Promise<string[] | undefined> {
  const { config } = loadConfig(configPath);
  if (config.auth.mode !== 'jwt') return undefined;
  const key = appSecret(config, loadSecrets(secretsPathFor(configPath)), configPath);
  return Promise.all(
    Array.from({ length: count }, (_, i) => mintToken(config, key, { room: '*', name: `${displayName}-${i + 1}`, moderator: i === 0, lifetimeSeconds: BENCH_TOKEN_SECONDS }, nowMs)),
  );
}

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { decodeKey } from '../config.js';
import { SecretBox } from './secret-box.js';

export const KEY_FILE = 'hub-secret.key';

/**
 * The key that encrypts device credentials: HUB_SECRET_KEY when set, otherwise a key generated
 * once into DATA_DIR (mode 0600) and reused on every later start. Losing it makes stored
 * credentials unreadable, so back it up with the database.
 */
export async function loadSecretBox(opts: {
  secretKey: string | undefined;
  dataDir: string;
  log: Logger;
}): Promise<SecretBox> {
  let key: Buffer | null;
  if (opts.secretKey) {
    key = decodeKey(opts.secretKey);
    if (!key) throw new Error('HUB_SECRET_KEY must be 32 bytes as 64 hex characters or base64');
  } else {
    const file = join(opts.dataDir, KEY_FILE);
    key = await readFile(file, 'utf8').then(
      (text) => decodeKey(text.trim()),
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      },
    );
    if (!key) {
      key = randomBytes(32);
      await mkdir(opts.dataDir, { recursive: true });
      // 'wx' refuses to overwrite a key another process wrote in the meantime.
      await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      opts.log.warn({ file }, 'generated a new HUB_SECRET_KEY; back this file up with the database');
    }
  }
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return new SecretBox(key, keyId);
}

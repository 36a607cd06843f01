import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// A password typed at a terminal is not echoed. `script` (util-linux, in every Debian) gives the
// reader a real pseudo-terminal; what the terminal shows is what `script` prints.
const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(PACKAGE, 'node_modules/.bin/tsx');
const READER = fileURLToPath(new URL('./read-secret.ts', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;

function typeAtTerminal(keys: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paidflow-secret-'));
  const probe = path.join(dir, 'probe.mts');
  writeFileSync(
    probe,
    `import { readFirstLine } from ${JSON.stringify(READER)};\n` +
      'const secret = await readFirstLine();\n' +
      "console.log('read', JSON.stringify(secret), 'from a terminal:', process.stdin.isTTY);\n",
  );
  const child = spawn('script', ['-qfec', `${TSX} ${probe}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let shown = '';
  let typed = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    shown += chunk;
    // Typed only once the prompt is up, i.e. once echo is off.
    if (!typed && shown.includes('password: ')) {
      typed = true;
      child.stdin.write(keys);
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no answer; the terminal showed: ${JSON.stringify(shown)}`));
    }, 20_000);
    child.once('close', () => {
      clearTimeout(timer);
      // Without the colours console.log adds on a terminal.
      resolve(shown.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), ''));
    });
  });
}

test.skipIf(!hasScript)(
  'a password typed at a terminal is read without being shown; Backspace erases',
  async () => {
    const shown = await typeAtTerminal('hunter2-secretX\u007f\r');
    expect(shown).toContain('read "hunter2-secret" from a terminal: true');
    expect(shown.replace('read "hunter2-secret"', '')).not.toContain('hunter2');
  },
  30_000,
);

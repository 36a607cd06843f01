/**
 * The first line of stdin, for a CLI's password (never argv: argv shows up in `ps` and in shell
 * history). When stdin is a terminal it prompts on stderr and turns echo off (raw mode), so
 * the password is not shown on the screen nor left in the scrollback.
 */
export async function readFirstLine(prompt = 'password: '): Promise<string> {
  if (process.stdin.isTTY) return readFromTerminal(prompt);
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** Ctrl-C while typing the password: nothing was read. */
export class SecretInterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'SecretInterruptedError';
  }
}

/** Reads a line from a terminal without echo; Backspace erases, Enter or Ctrl-D ends, Ctrl-C aborts. */
function readFromTerminal(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt shows: keys typed as soon as it appears are never echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const finish = (error: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(null);
        if (char === '\u0003') return finish(new SecretInterruptedError());
        if (char === '\u007f' || char === '\b') text = [...text].slice(0, -1).join('');
        else if (char >= ' ') text += char;
      }
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}

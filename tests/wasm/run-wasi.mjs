// Runs a WASI preview 1 module under Node: node run-wasi.mjs MODULE [ARGS...]
// The module's stdout/stderr are the process's; the exit code is the module's.
// Environment: only WHO is passed through.
import { readFile } from 'node:fs/promises';
import { argv, env, exit } from 'node:process';
import { WASI } from 'node:wasi';

const [, , path, ...args] = argv;
if (!path) {
  console.error('usage: node run-wasi.mjs MODULE [ARGS...]');
  exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [path, ...args],
  env: env.WHO ? { WHO: env.WHO } : {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));

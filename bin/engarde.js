#!/usr/bin/env node
// The `engarde` command. In a checkout it runs the TypeScript sources through tsx, so it is never stale; an
// installed package (which ships dist/ without sources) runs the compiled JavaScript.
import { existsSync } from 'node:fs';

const source = new URL('../generator/cli.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import(new URL('../dist/generator/cli.js', import.meta.url).href);
}
process.exitCode = await cli.main(process.argv.slice(2));

#!/usr/bin/env node
// The `troupe` command's committed entry point. npm links a package's bin when it installs the
// package, which in this repository is before anything is built: pointing "bin" at dist/ would
// leave nothing to link. This file is always there and loads the built command, or says how to
// build it.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    'troupe: the command is not built yet (packages/cli/dist/bin.js is missing); run `npm run build` at the repository root, then try again\n',
  );
  process.exitCode = 1;
}

#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `usergraph start|emulators|sync` works without a build step.
require('tsx/cjs');
require('../src/main.ts');

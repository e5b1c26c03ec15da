#!/usr/bin/env -S node --import tsx
// CommonJS like bin/run.js (bin/package.json); --import tsx lets oclif load the TypeScript commands.
'use strict'
require('@oclif/core').execute({development: true, dir: require('node:path').join(__dirname, '..')})

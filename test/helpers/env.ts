// oclif resolves commands from TypeScript sources only when NODE_ENV is test/development;
// running the suite under NODE_ENV=test also proves no lowdb preset swaps in an in-memory store.
process.env.NODE_ENV = 'test'

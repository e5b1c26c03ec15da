// Stands in for `npm start`: it prints what a careless app might print, so the demo can show
// codex-vault masking the key in the app's output.
const key = process.env.OPENAI_API_KEY
console.log(`shop: starting with OPENAI_API_KEY=${key}`)
console.log(`shop: debug dump ${JSON.stringify({auth: `Bearer ${key}`})}`)
console.log(`shop: other variables from codex-vault: ${Object.keys(process.env).filter((name) => name.startsWith('CODEX_VAULT')).length}`)

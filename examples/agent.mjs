// Stands in for a coding agent that calls OpenAI the way the SDK does: OPENAI_BASE_URL (default
// https://api.openai.com/v1) and `Authorization: Bearer $OPENAI_API_KEY`. It prints what it holds,
// as a careless or curious agent might.
const key = process.env.OPENAI_API_KEY ?? ''
const base = process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'
console.log(`agent: OPENAI_API_KEY=${key}`)
console.log(`agent: OPENAI_BASE_URL=${base}`)
const response = await fetch(`${base}/chat/completions`, {
  method: 'POST',
  headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json'},
  body: JSON.stringify({model: 'gpt-4o-mini', messages: [{role: 'user', content: 'hello'}]}),
})
const answer = await response.json()
console.log(`agent: HTTP ${response.status}: ${answer.choices?.[0]?.message?.content ?? JSON.stringify(answer)}`)
process.exitCode = response.ok ? 0 : 1

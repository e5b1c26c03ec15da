// The shop's product assistant. The OpenAI SDK reads OPENAI_API_KEY by itself:
// the code never names the variable, which is what `codex-vault scan` has to work out.
import OpenAI from 'openai'

export function assistant() {
  return new OpenAI()
}

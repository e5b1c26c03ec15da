#!/usr/bin/env bash
# A self-contained tour of codex-vault on a temporary vault; nothing outside a temp folder is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
CV="node $PWD/bin/run.js"
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/codex-vault-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT
export CODEX_VAULT_FILE="$DEMO/vault.cv" XDG_RUNTIME_DIR="$DEMO/run" NO_COLOR=${NO_COLOR:-}
unset CODEX_VAULT_SESSION CODEX_VAULT_PASSPHRASE
cp -r examples/shop "$DEMO/shop"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
rand() { node -e "const c='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';let s='';for(let i=0;i<$1;i++)s+=c[require('crypto').randomInt(c.length)];process.stdout.write(s)"; }
PASSPHRASE="demo-$(rand 24)"
FAKE_KEY="sk-proj-$(rand 74)T3BlbkFJ$(rand 74)"   # random, valid in format, useless anywhere

step "create a vault (a real one would ask twice on the terminal)" "codex-vault init --passphrase-stdin --kdf interactive"
printf %s "$PASSPHRASE" | $CV init --passphrase-stdin --kdf interactive

step "start a session for this shell" 'eval "$(codex-vault unlock --ttl 15m)"'
eval "$(printf %s "$PASSPHRASE" | $CV unlock --ttl 15m --passphrase-stdin)"

step "what does the app need, and why?" "codex-vault resolve ./shop"
$CV resolve "$DEMO/shop"

step "store the key (stdin or a hidden prompt; never an argument)" "codex-vault secret set openai < key.txt"
printf %s "$FAKE_KEY" | $CV secret set openai

step "register the app as asset shop" "codex-vault bind ./shop --name shop"
$CV bind "$DEMO/shop" --name shop

step "an agent runs the app before anyone approved it: denied, with the command to approve" "codex-vault run --asset shop -- node index.js"
(cd "$DEMO/shop" && $CV run --asset shop -- node index.js) || echo "(exit $?)"

step "the owner approves OpenAI inference for 8 hours" "codex-vault grant approve --asset shop --capability ai.openai.inference --ttl 8h"
$CV grant approve --asset shop --capability ai.openai.inference --ttl 8h --reason demo

step "preflight: what would be injected" "codex-vault run --asset shop --dry-run"
$CV run --asset shop --dry-run

step "run it: the key is injected for this run only, and masked in the output" "codex-vault run --asset shop -- node index.js"
(cd "$DEMO/shop" && $CV run --asset shop -- node index.js)

step "CI gets its own vault: only shop's approved key, opened by a key shown once" "codex-vault ci export --asset shop --out ci/shop.cv --ttl 1h"
EXPORT=$($CV ci export --asset shop --out "$DEMO/ci/shop.cv" --ttl 1h)
printf '%s\n' "$EXPORT"
CI_KEY=$(printf '%s\n' "$EXPORT" | sed -n 's/^CODEX_VAULT_KEY=//p')

step "in CI: no passphrase, no session, just the file and the key" "CODEX_VAULT_FILE=ci/shop.cv CODEX_VAULT_KEY=... codex-vault run --asset shop -- node index.js"
(cd "$DEMO/shop" && env -u CODEX_VAULT_SESSION CODEX_VAULT_FILE="$DEMO/ci/shop.cv" CODEX_VAULT_KEY="$CI_KEY" $CV run --asset shop -- node index.js)

step "for a coding agent: a run-only session, and --mediate keeps the key out of its process altogether" 'CODEX_VAULT_SESSION="$(codex-vault unlock --run-only --raw)" codex-vault run --asset shop --mediate -- node agent.mjs'
AGENT_SESSION=$(printf %s "$PASSPHRASE" | $CV unlock --run-only --raw --ttl 15m --passphrase-stdin 2>/dev/null)
# the demo has no network: a local stand-in plays api.openai.com (a user provider points OpenAI's mediation at it)
exec 3< <(EXPECTED_KEY="$FAKE_KEY" exec node examples/openai-stand-in.mjs)
STAND_IN_PID=$!
trap 'kill $STAND_IN_PID 2>/dev/null; rm -rf "$DEMO"' EXIT
read -r PORT <&3
printf '{"id":"openai","name":"OpenAI (demo stand-in)","capabilities":["ai.openai.inference"],"env":["OPENAI_API_KEY"],"mediate":{"baseUrlEnv":"OPENAI_BASE_URL","upstream":"http://127.0.0.1:%s/v1"}}\n' "$PORT" > "$DEMO/openai-stand-in.json"
$CV provider add "$DEMO/openai-stand-in.json" --replace-builtin >/dev/null 2>&1
CODEX_VAULT_SESSION=$AGENT_SESSION $CV run --asset shop --mediate -- node examples/agent.mjs

step "the agent reads a denial's approve command and tries it: refused, the owner must act" "codex-vault grant approve --asset shop --capability 'ai.*.inference' --ttl 7d"
CODEX_VAULT_SESSION=$AGENT_SESSION $CV grant approve --asset shop --capability 'ai.*.inference' --ttl 7d || echo "(exit $?)"

step "the kill switch" "codex-vault kill --asset shop --reason demo"
$CV kill --asset shop --reason demo
(cd "$DEMO/shop" && $CV run --asset shop -- node index.js) || echo "(exit $?)"

step "who got what, when" "codex-vault audit tail -n 14"
$CV audit tail -n 14

step "is the history intact?" "codex-vault audit verify"
$CV audit verify

if grep -rqF "$FAKE_KEY" "$DEMO" --exclude-dir=shop; then echo "demo: the key was found on disk in plaintext" >&2; exit 1; fi
printf '\ndemo done: the key never appeared in plaintext on disk or in any output above.\n'

#!/usr/bin/env bash
# Startup cost, as ratios to `node -e 0` measured in the same hyperfine run (absolute times drift
# on a shared machine; ratios hold better). Needs hyperfine (Debian package) and a built project.
#   bench/startup.sh            status, run -- true (beside two floors), and unlock at both KDF settings
#   bench/startup.sh --peers    also dotenvx and varlock `run -- true` (installed into bench/.peers)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ -f dist/lean-run.bundle.cjs ] || npm run build --silent
CV="$PWD/bin/run.js"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cv-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CODEX_VAULT_FILE="$WORK/vault.cv" XDG_RUNTIME_DIR="$WORK/run"
unset CODEX_VAULT_SESSION CODEX_VAULT_PASSPHRASE
PASS="bench-$RANDOM-$RANDOM-passphrase"
KEY="sk-proj-$(head -c 400 /dev/urandom | base64 | tr -dc A-Za-z0-9 | head -c 74)T3BlbkFJ$(head -c 400 /dev/urandom | base64 | tr -dc A-Za-z0-9 | head -c 74)"

printf %s "$PASS" | node "$CV" init --passphrase-stdin --kdf interactive >/dev/null
export CODEX_VAULT_SESSION=$(printf %s "$PASS" | node "$CV" unlock --raw --passphrase-stdin 2>/dev/null)
cp -r examples/shop "$WORK/shop"
node "$CV" bind "$WORK/shop" --name shop >/dev/null
printf %s "$KEY" | node "$CV" secret set openai >/dev/null
node "$CV" grant approve --asset shop --capability ai.openai.inference --ttl 8h >/dev/null

# NODE_EXTRA_CA_CERTS makes every node start load a CA bundle (~75 ms here), which flatters every
# ratio to `node -e 0`; the figures without it are the honest ones, so both are shown when it is set.
HF=(hyperfine -N --warmup 3 --runs "${RUNS:-30}")
# The floors (bench/startup-floor.cjs) are what any Node wrapper pays here before our own work:
# spawning `true` with maskable output, then that plus sodium's dlopen and a run's six fsyncs.
FLOOR="$PWD/bench/startup-floor.cjs"
COMMANDS=('node -e 0' "node $FLOOR spawn" "node $FLOOR io" "node $CV status" "node $CV run --asset shop -- true")
echo "== status and run -- true with a live session, beside the floors"
env -u NODE_EXTRA_CA_CERTS "${HF[@]}" "${COMMANDS[@]}"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  echo "== the same with NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS (as this environment sets it)"
  "${HF[@]}" "${COMMANDS[@]}"
fi

if [ "${1:-}" = "--peers" ]; then
  PEERS="$PWD/bench/.peers"
  if [ ! -x "$PEERS/node_modules/.bin/dotenvx" ] || [ ! -x "$PEERS/node_modules/.bin/varlock" ]; then
    mkdir -p "$PEERS" && (cd "$PEERS" && printf "{\"name\":\"cv-bench-peers\",\"private\":true}\n" > package.json && npm install --no-audit --no-fund @dotenvx/dotenvx@2.38.2 varlock@1.20.0 >/dev/null 2>&1)
  fi
  mkdir -p "$WORK/peer" && cd "$WORK/peer"
  printf 'OPENAI_API_KEY="%s"\n' "$KEY" > .env
  "$PEERS/node_modules/.bin/dotenvx" encrypt >/dev/null 2>&1 || true
  printf '# @defaultSensitive=true\n# ---\nOPENAI_API_KEY=\n' > .env.schema
  echo "== peers: run -- true (same run, without NODE_EXTRA_CA_CERTS)"
  env -u NODE_EXTRA_CA_CERTS "${HF[@]}" -i 'node -e 0' "node $CV run --asset shop -- true" \
    "$PEERS/node_modules/.bin/dotenvx run -- true" "$PEERS/node_modules/.bin/varlock run -- true"
  cd - >/dev/null
fi

echo "== unlock (Argon2id) at both KDF settings"
for kdf in interactive moderate; do
  V="$WORK/kdf-$kdf.cv"
  printf %s "$PASS" | node "$CV" init --passphrase-stdin --kdf "$kdf" --vault "$V" >/dev/null
  hyperfine -N --warmup 1 --runs 5 "sh -c 'printf %s $PASS | node $CV unlock --raw --passphrase-stdin --vault $V'" 2>&1 | grep -E 'Time|Range' | sed "s/^/$kdf: /"
done

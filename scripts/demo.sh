#!/usr/bin/env bash
# Starts a server and three scripted clients (alice, bob, carol) in four tmux panes for a person
# to watch; attaches to the session when run in a terminal. Leave with Ctrl-B d; the session is
# killed when the script ends. Needs tmux.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
swift build -c release --package-path "$root" >/dev/null
bin="$root/.build/release"
port=${PORT:-17490}
session=chat255-demo
tmux kill-session -t "$session" 2>/dev/null || true
tmux new-session -d -s "$session" -x 180 -y 45 "$bin/chatserver --port $port --alive-interval 1"
for name in alice bob carol; do
    tmux split-window -t "$session" "$bin/chatclient $name --port $port; sleep 60"
    tmux select-layout -t "$session" tiled >/dev/null
    sleep 0.5
done
say() { sleep 1.2; tmux send-keys -t "$session.$1" -l "$2"; tmux send-keys -t "$session.$1" Enter; }
(
    say 1 "@List"
    say 1 "(bob) hi bob!"
    say 2 "(alice) hello alice"
    say 3 "(ALL) hi all, carol here"
    say 1 "(dave) are you there?"
    say 2 "@Quit"
    say 3 "@Help"
) &
if [ -t 1 ]; then tmux attach -t "$session"; else wait; sleep 2; tmux capture-pane -p -t "$session.1"; fi
tmux kill-session -t "$session" 2>/dev/null || true

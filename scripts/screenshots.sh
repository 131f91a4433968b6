#!/usr/bin/env bash
# Regenerates the screenshots of docs/REPORT.md from a real run: a server and three clients
# (alice, bob, carol), each in its own tmux window (a real terminal), driven with send-keys;
# each screen is captured with its colours and rendered to docs/screenshots/*.png.
# Needs tmux and Pillow (apt-get install tmux; pip install pillow).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/docs/screenshots"
mkdir -p "$out"
swift build -c release --package-path "$root" >/dev/null
bin="$root/.build/release"
port=17480
session="chat255-shots-$$"
tmux_() { tmux -L "$session" "$@"; }
cleanup() { tmux_ kill-server 2>/dev/null || true; }
trap cleanup EXIT

tmux_ -f /dev/null new-session -d -s main -x 92 -y 22 -n server \
    "$bin/chatserver --port $port --alive-interval 1 2>&1 | sed -u -E 's/^[0-9T:+-]+ //; s/ \\[ChatServerCore\\]//; s/peer=[^ ]* //'"
sleep 1
for name in alice bob carol; do
    tmux_ new-window -d -t main -n "$name" "$bin/chatclient $name --port $port; sleep 30"
    sleep 0.4
done
type_in() { tmux_ send-keys -t "main:$1" -l "$2"; tmux_ send-keys -t "main:$1" Enter; sleep 0.4; }
shot() {  # window, file, title
    tmux_ capture-pane -p -e -t "main:$1" > "$out/$2.txt"
    python3 "$root/scripts/render_terminal.py" "$out/$2.txt" "$out/$2.png" "$3"
    rm "$out/$2.txt"
}

sleep 0.5
shot alice 01-joined "alice: joined, the list shows who came after"
type_in alice "@List"
type_in alice "(bob) hi bob, lunch at noon?"
type_in bob "(alice) sure, see you there"
type_in bob "(ALL) hello everyone"
type_in carol "(dave) are you there?"
long=$(printf 'This is a long message that does not fit in one frame. %.0s' 1 2 3 4 5 6)
type_in alice "(carol) $long"
sleep 0.5
shot alice 02-alice "alice: @List, a private message and its answer, a broadcast"
shot bob 03-bob "bob: messages from alice, his own broadcast"
shot carol 04-carol "carol: a broadcast, an Offline target, a long message in parts"
type_in carol "@Quit"
sleep 0.5
# bob's client freezes (SIGSTOP): the server retires it when its heartbeat stops.
pkill -STOP -f "chatclient bob --port $port"
sleep 4.5
shot alice 05-left "alice: carol quit, bob retired by the heartbeat timeout"
shot server 06-server "chatserver: joins, quits and the retirement, with reasons"
pkill -CONT -f "chatclient bob --port $port" || true
tmux_ send-keys -t main:alice -l "(bo"
tmux_ send-keys -t main:alice Tab
sleep 0.3
echo "screenshots in $out:"
ls "$out"

extension WebClientPage {
    /// The page's script: the chat255 protocol over the WebSocket (frames, Connect, the heartbeat, list parts, Offline, Error, reconnecting with backoff) and the page's behaviour.
    static let script = #"""
        "use strict";
        // chat255 in the browser: the protocol over a WebSocket (one binary message per frame, the same
        // bytes as on TCP) and the page around it. Nothing is loaded from anywhere but this server.

        const SERVER = "-SERVER-";
        const ALL = "ALL";
        const MAX_BODY = 239;
        const encoder = new TextEncoder();
        const decoder = new TextDecoder();

        // ---- Frames: 8-byte destination, 8-byte source (padded with spaces), body, NUL.

        function validName(name) {
          return /^[\x21-\x7e]{1,8}$/.test(name) && name !== SERVER && name !== ALL;
        }

        function encodeFrame(destination, source, body) {
          const bytes = encoder.encode(body);
          const frame = new Uint8Array(17 + bytes.length);
          frame.fill(0x20, 0, 16);
          frame.set(encoder.encode(destination), 0);
          frame.set(encoder.encode(source), 8);
          frame.set(bytes, 16);
          frame[16 + bytes.length] = 0;
          return frame;
        }

        function decodeFrame(buffer) {
          const bytes = new Uint8Array(buffer);
          if (bytes.length < 17 || bytes[bytes.length - 1] !== 0) return null;
          const name = (from) => decoder.decode(bytes.subarray(from, from + 8)).replace(/ +$/, "");
          return { destination: name(0), source: name(8), body: decoder.decode(bytes.subarray(16, bytes.length - 1)) };
        }

        // What the eye sees as one character (a grapheme: an accented letter, a flag, a family emoji);
        // code points where the browser cannot tell.
        function characters(text) {
          if (typeof Intl !== "undefined" && Intl.Segmenter) {
            return Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text), (s) => s.segment);
          }
          return Array.from(text);
        }

        // Bodies of at most 239 bytes of UTF-8, never cutting a character in two, as chatclient does
        // (a single character over 239 bytes is cut between its code points).
        function splitText(text) {
          const pieces = [];
          let current = "";
          let used = 0;
          const add = (piece) => {
            const size = encoder.encode(piece).length;
            if (used + size > MAX_BODY && current) { pieces.push(current); current = ""; used = 0; }
            current += piece;
            used += size;
          };
          for (const character of characters(text)) {
            if (encoder.encode(character).length > MAX_BODY) { for (const point of character) add(point); } else add(character);
          }
          if (current) pieces.push(current);
          return pieces;
        }

        // ---- The page's state.

        const state = {
          name: "", password: "", socket: null, online: [], listParts: null, heartbeat: null,
          conversations: new Map(), selected: ALL, joined: false, retry: 0, retryTimer: null, leaving: false,
          beating: false, drawQueued: false, lastError: "", refused: "",
        };

        // ---- The heartbeat: `Alive <id>` at the interval the server announced. Its clock runs in a
        // worker (alive.js): a page's own timers are slowed to once a minute in a tab hidden for a
        // few minutes (Chrome's intensive throttling), far past the server's alive timeout.

        let heartWorker = null;
        try {
          heartWorker = new Worker("alive.js");
          heartWorker.onmessage = () => beat();
        } catch (error) {
          heartWorker = null;  // the page's own timer, then
        }

        function beat() {
          if (state.beating) send(SERVER, `Alive ${state.name}`);
        }

        function startHeartbeat(milliseconds) {
          stopHeartbeat();
          state.beating = true;
          if (heartWorker) heartWorker.postMessage(milliseconds);
          else state.heartbeat = setInterval(beat, milliseconds);
        }

        function stopHeartbeat() {
          state.beating = false;
          if (heartWorker) heartWorker.postMessage(0);
          clearInterval(state.heartbeat);
          state.heartbeat = null;
        }

        const $ = (id) => document.getElementById(id);

        function conversation(name) {
          if (!state.conversations.has(name)) state.conversations.set(name, { lines: [], unread: 0 });
          return state.conversations.get(name);
        }

        function addLine(name, kind, who, text) {
          const entry = conversation(name);
          entry.lines.push({ kind, who, text, time: new Date() });
          if (name !== state.selected || document.hidden) entry.unread += 1;
          render();
        }

        function setStatus(text, kind) {
          const status = $("status");
          status.textContent = text;
          status.className = kind || "";
        }

        // ---- The connection.

        function socketURL() {
          const url = new URL("ws", location.href);
          url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
          return url.href;
        }

        function send(destination, body) {
          if (state.socket && state.socket.readyState === WebSocket.OPEN) {
            state.socket.send(encodeFrame(destination, state.name, body));
          }
        }

        function connect() {
          clearTimeout(state.retryTimer);
          setStatus(state.joined ? "reconnecting…" : "connecting…", "pending");
          const socket = new WebSocket(socketURL(), "chat255");
          socket.binaryType = "arraybuffer";
          state.socket = socket;
          socket.onopen = () => {
            const connect = state.password ? `Connect ${state.name} ${state.password}` : `Connect ${state.name}`;
            send(SERVER, connect);
          };
          socket.onmessage = (event) => {
            if (typeof event.data === "string") return;
            const frame = decodeFrame(event.data);
            if (frame) received(frame);
          };
          socket.onclose = () => {
            if (state.socket !== socket) return;  // an older socket: the heartbeat is the current one's
            stopHeartbeat();
            state.socket = null;
            if (state.leaving || !state.joined) {
              if (!state.leaving && !$("join-error").textContent) showJoinError("The server cannot be reached. Try again.");
              return;
            }
            if (state.refused) {
              setStatus(`${state.refused}: left the chat (reload the page to join again)`, "error");
              return;
            }
            // Dropped: try again, waiting longer each time (0.5 s, doubling, at most 10 s).
            const wait = Math.min(10000, 500 * 2 ** state.retry);
            state.retry += 1;
            const why = state.lastError ? state.lastError : "connection lost";
            state.lastError = "";
            setStatus(`${why}: reconnecting in ${Math.round(wait / 100) / 10} s`, "error");
            state.retryTimer = setTimeout(connect, wait);
          };
        }

        function received(frame) {
          if (frame.source !== SERVER) {
            const place = frame.destination === ALL ? ALL : frame.source;
            addLine(place, "message", frame.source, frame.body);
            return;
          }
          const [word, ...rest] = frame.body.split(" ");
          const argument = rest.join(" ");
          if (word === "Connected") {
            const interval = Math.max(0.05, parseFloat(argument) || 5);
            startHeartbeat(interval * 1000);
            state.retry = 0;
            if (!state.joined) {
              state.joined = true;
              showChat();
            }
            setStatus(`online as ${state.name}`, "ok");
          } else if (word === "List") {
            listPart(argument);
          } else if (word === "Offline") {
            addLine(argument, "notice", "", `${argument} is offline: the message was not delivered`);
          } else if (word === "Error") {
            if (!state.joined) {
              showJoinError(joinErrorText(argument));
              state.socket && state.socket.close();
            } else if (/already online/.test(argument) && state.retry > 0) {
              // Our old session is still listed: it goes at its timeout; keep trying.
              state.lastError = "the old session is still listed";
            } else if (/authentication failed|too many failed logins/.test(argument) && state.retry > 0) {
              // The account changed while away: trying again cannot help.
              state.refused = joinErrorText(argument).replace(/\.$/, "");
            } else {
              addLine(state.selected, "error", "", argument);
            }
          }
        }

        function joinErrorText(text) {
          if (/already online/.test(text)) return `The name "${state.name}" is taken: choose another.`;
          if (/authentication failed/.test(text)) return "Wrong name or password.";
          if (/too many failed logins/.test(text)) return "Too many failed logins: wait a minute.";
          if (/reserved|bad argument|Connect <id>/.test(text)) return `"${state.name}" is not a valid name.`;
          return text;
        }

        // `List k/n name ...`: parts in order; part 1 starts a new list, a gap or a repeat drops it.
        function listPart(text) {
          const match = /^(\d+)\/(\d+)(?: (.*))?$/.exec(text);
          if (!match) return;
          const k = Number(match[1]);
          const n = Number(match[2]);
          const names = match[3] ? match[3].split(" ") : [];
          if (k === 1) state.listParts = { n, next: 1, names: [] };
          if (!state.listParts || state.listParts.n !== n || state.listParts.next !== k) { state.listParts = null; return; }
          state.listParts.next = k + 1;
          state.listParts.names.push(...names);
          if (k === n) {
            const before = new Set(state.online);
            const after = state.listParts.names;
            state.listParts = null;
            const first = state.online.length === 0;
            state.online = after;
            if (!first) {
              for (const name of after) if (!before.has(name)) addLine(ALL, "notice", "", `${name} joined`);
              const now = new Set(after);
              for (const name of before) if (!now.has(name)) addLine(ALL, "notice", "", `${name} left`);
            }
            render();
          }
        }

        // ---- The composer: to the selected conversation, or `(bob) hi`, `(ALL) hi`, `@List`, `@Quit`.

        function submit(text) {
          text = text.replace(/\0/g, "").trim();  // a NUL would end the frame early
          if (!text) return;
          if (/^@list$/i.test(text)) { send(SERVER, "List"); return; }
          if (/^@quit$/i.test(text)) { leave(); return; }
          let target = state.selected;
          const addressed = /^\(([^)\s]{1,8})\)\s?(.*)$/s.exec(text);
          if (addressed) { target = addressed[1]; text = addressed[2]; }
          if (!text) return;
          if (target !== ALL && !validName(target)) {
            addLine(state.selected, "error", "", `"${target}" is not a valid name`);
            return;
          }
          for (const piece of splitText(text)) {
            send(target, piece);
            addLine(target, "mine", state.name, piece);
          }
          if (target !== state.selected) select(target);
        }

        function leave() {
          state.leaving = true;
          send(SERVER, `Quit ${state.name}`);
          setStatus("left the chat", "");
          setTimeout(() => location.reload(), 300);
        }

        function select(name) {
          state.selected = name;
          conversation(name).unread = 0;
          render();
          $("message").focus();
        }

        // ---- Rendering.

        function showChat() {
          $("join").hidden = true;
          $("chat").hidden = false;
          $("message").focus();
          render();
        }

        function showJoinError(text) {
          $("join-error").textContent = text;
          $("join-button").disabled = false;
          $("name").focus();
        }

        // Drawn once per display frame however many lines came (a join storm is many notices).
        function render() {
          if (state.drawQueued) return;
          state.drawQueued = true;
          requestAnimationFrame(() => { state.drawQueued = false; draw(); });
        }

        function draw() {
          const people = $("people");
          const names = [ALL, ...state.online.filter((n) => n !== state.name)];
          for (const name of state.conversations.keys()) if (!names.includes(name) && name !== state.name) names.push(name);
          people.replaceChildren(...names.map((name) => {
            const item = document.createElement("li");
            const button = document.createElement("button");
            button.type = "button";
            button.dataset.name = name;
            button.className = name === state.selected ? "selected" : "";
            if (name !== ALL && !state.online.includes(name)) button.classList.add("away");
            button.textContent = name === ALL ? "Everyone (ALL)" : name;
            const unread = state.conversations.get(name)?.unread || 0;
            if (unread) {
              const badge = document.createElement("span");
              badge.className = "unread";
              badge.textContent = unread;
              badge.setAttribute("aria-label", `${unread} unread`);
              button.append(" ", badge);
            }
            button.addEventListener("click", () => select(name));
            item.append(button);
            return item;
          }));
          $("online-count").textContent = `${state.online.length} online`;
          $("title").textContent = state.selected === ALL ? "Everyone" : state.selected;
          const log = $("log");
          const lines = conversation(state.selected).lines;
          log.replaceChildren(...lines.map((line) => {
            const item = document.createElement("li");
            item.className = line.kind;
            const time = document.createElement("time");
            time.textContent = line.time.toTimeString().slice(0, 5);
            item.append(time, " ");
            if (line.who) {
              const who = document.createElement("b");
              who.textContent = line.who;
              item.append(who, " ");
            }
            item.append(document.createTextNode(line.text));
            return item;
          }));
          log.scrollTop = log.scrollHeight;
          $("message").placeholder = state.selected === ALL ? "Message everyone" : `Message ${state.selected}`;
        }

        // ---- Wiring.

        document.addEventListener("DOMContentLoaded", () => {
          $("join").addEventListener("submit", (event) => {
            event.preventDefault();
            const name = $("name").value.trim();
            $("join-error").textContent = "";
            if (!validName(name)) {
              showJoinError("A name is 1 to 8 characters, letters, digits or signs, no spaces (not ALL or -SERVER-).");
              return;
            }
            state.name = name;
            state.password = $("password").value;
            if (encoder.encode(`Connect ${name} ${state.password}`).length > MAX_BODY) {
              showJoinError("The password is too long.");
              return;
            }
            $("join-button").disabled = true;
            connect();
          });
          $("composer").addEventListener("submit", (event) => {
            event.preventDefault();
            submit($("message").value);
            $("message").value = "";
          });
          $("leave").addEventListener("click", leave);
          document.addEventListener("visibilitychange", () => {
            if (!document.hidden) { conversation(state.selected).unread = 0; render(); }
          });
          // Alt+Up / Alt+Down: the previous or next conversation.
          document.addEventListener("keydown", (event) => {
            if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
            const buttons = [...document.querySelectorAll("#people button")];
            const index = buttons.findIndex((b) => b.dataset.name === state.selected);
            const next = buttons[index + (event.key === "ArrowUp" ? -1 : 1)];
            if (next) { event.preventDefault(); select(next.dataset.name); }
          });
          $("name").focus();
        });
        """#
}

extension WebClientPage {
    /// The heartbeat's clock (`alive.js`), a dedicated worker: a page's own timers are slowed to
    /// once a minute in a tab hidden for a few minutes (Chrome's intensive throttling), which is
    /// far past the server's alive timeout; a worker's are not. The page says the interval in
    /// milliseconds (0 stops it), the worker says when to send `Alive`.
    static let heartbeatWorker = #"""
        "use strict";
        let timer = null;
        onmessage = (event) => {
          clearInterval(timer);
          timer = event.data > 0 ? setInterval(() => postMessage("beat"), event.data) : null;
        };
        """#
}

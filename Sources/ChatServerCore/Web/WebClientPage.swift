/// The web chat page, shipped inside the binary: no CDN, no request to anywhere but this
/// server. Four files: the page, its script, its style and the heartbeat's worker (`+HTML`,
/// `+Script`, `+Style`, `+Worker`).
enum WebClientPage {
    /// One file: its content type and text.
    struct File {
        let type: String
        let body: String
    }

    /// What the page may load and connect to: this server only.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The file at `path`, or `nil`.
    static func file(at path: String) -> File? {
        switch path {
        case "/", "/index.html": File(type: "text/html; charset=utf-8", body: Self.html)
        case "/chat.js": File(type: "text/javascript; charset=utf-8", body: Self.script)
        case "/chat.css": File(type: "text/css; charset=utf-8", body: Self.style)
        case "/alive.js": File(type: "text/javascript; charset=utf-8", body: Self.heartbeatWorker)
        default: nil
        }
    }
}

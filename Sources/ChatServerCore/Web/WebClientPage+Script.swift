extension WebClientPage {
    /// The page's script: the chat255 protocol over the WebSocket, and the page's behaviour.
    static let script = #"""
        "use strict";
        """#
}

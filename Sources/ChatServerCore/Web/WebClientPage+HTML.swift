extension WebClientPage {
    /// The page: a form to join, then the conversations, the online list and the composer.
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>chat255</title>
        <link rel="stylesheet" href="chat.css">
        <script src="chat.js" defer></script>
        </head>
        <body>
        <main>
        <form id="join" autocomplete="on">
          <h1>chat255</h1>
          <label for="name">Name</label>
          <input id="name" name="name" maxlength="8" autocomplete="username" autocapitalize="off" spellcheck="false" required>
          <label for="password">Password <small>(if the server asks for one)</small></label>
          <input id="password" name="password" type="password" autocomplete="current-password">
          <button id="join-button" type="submit">Join</button>
          <p id="join-error" role="alert"></p>
        </form>
        <section id="chat" hidden>
          <nav aria-label="Conversations">
            <p id="online-count"></p>
            <ul id="people"></ul>
            <button id="leave" type="button">Leave</button>
          </nav>
          <div id="conversation">
            <header><h2 id="title">Everyone</h2><p id="status" role="status"></p></header>
            <ol id="log" aria-live="polite"></ol>
            <form id="composer">
              <label for="message" class="hidden">Message</label>
              <input id="message" autocomplete="off" maxlength="4000">
              <button type="submit">Send</button>
            </form>
          </div>
        </section>
        </main>
        </body>
        </html>
        """#
}

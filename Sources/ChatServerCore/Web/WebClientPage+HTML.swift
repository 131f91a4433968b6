extension WebClientPage {
    /// The page.
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
        <p>chat255</p>
        </body>
        </html>
        """#
}

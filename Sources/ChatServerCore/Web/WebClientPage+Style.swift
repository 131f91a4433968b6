extension WebClientPage {
    /// The page's style.
    static let style = #"""
        body { font-family: system-ui, sans-serif; }
        """#
}

extension WebClientPage {
    /// The page's style: readable from phone width up, light and dark.
    static let style = #"""
        :root { color-scheme: light dark; --accent: #2f6fdf; --muted: #777; --line: #8884; }
        * { box-sizing: border-box; }
        [hidden] { display: none !important; }
        body { margin: 0; font: 16px/1.4 system-ui, sans-serif; }
        main { height: 100vh; height: 100dvh; display: flex; }
        .hidden { position: absolute; left: -10000px; }
        #join { margin: auto; width: min(22rem, 92vw); display: flex; flex-direction: column; gap: .4rem; }
        #join h1 { margin: 0 0 .5rem; }
        input, button { font: inherit; padding: .5rem .6rem; border-radius: .4rem; border: 1px solid var(--line); }
        button { cursor: pointer; background: var(--accent); color: white; border-color: var(--accent); }
        button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 1px; }
        #join-error { color: #c33; min-height: 1.4em; margin: .2rem 0 0; }
        #chat { flex: 1; display: flex; min-width: 0; }
        nav { width: 14rem; border-right: 1px solid var(--line); display: flex; flex-direction: column; padding: .5rem; gap: .4rem; }
        #online-count { margin: 0; color: var(--muted); font-size: .9em; }
        #people { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; display: flex; flex-direction: column; gap: .2rem; }
        #people button { width: 100%; text-align: left; background: none; color: inherit; border-color: transparent; }
        #people button.selected { background: var(--accent); color: white; }
        #people button.away { color: var(--muted); font-style: italic; }
        .unread { background: #d33; color: white; border-radius: 1em; padding: 0 .45em; font-size: .8em; }
        #leave { background: none; color: inherit; border-color: var(--line); }
        #conversation { flex: 1; display: flex; flex-direction: column; min-width: 0; }
        header { display: flex; align-items: baseline; gap: 1rem; padding: .5rem 1rem; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
        header h2 { margin: 0; font-size: 1.1em; }
        #status { margin: 0; font-size: .9em; color: var(--muted); }
        #status.error { color: #c33; }
        #status.ok { color: #2a2; }
        #log { list-style: none; margin: 0; padding: .5rem 1rem; overflow-y: auto; flex: 1; overflow-wrap: anywhere; }
        #log li { margin: .15rem 0; }
        #log time { color: var(--muted); font-size: .8em; }
        #log .mine b { color: var(--accent); }
        #log .notice { color: var(--muted); font-style: italic; }
        #log .error { color: #c33; }
        #composer { display: flex; gap: .5rem; padding: .5rem 1rem; border-top: 1px solid var(--line); }
        #message { flex: 1; min-width: 0; }
        @media (max-width: 40rem) {
          #chat { flex-direction: column; }
          nav { width: auto; border-right: none; border-bottom: 1px solid var(--line); flex-direction: row; align-items: center; overflow-x: auto; }
          #online-count { display: none; }
          #people { flex-direction: row; overflow-x: auto; }
          #people button { white-space: nowrap; width: auto; }
        }
        """#
}

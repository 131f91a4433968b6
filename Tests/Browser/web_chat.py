#!/usr/bin/env python3
"""The web chat page in a real browser (headless Chromium through Selenium and chromedriver).

Two browser sessions and one chatclient join one chatserver; each sees the others in the list,
messages cross every way (browser to browser, browser to terminal and back), ALL reaches
everyone, Offline shows, a taken name is refused on the page, the pages come back by
themselves after the server restarts (and wait 0.5 s, doubling, at most 10 s between attempts, on
a clock the test holds), the page works behind nginx on a sub-path (the block of
docs/OPERATIONS.md), and on a server with accounts a wrong password is
refused on the page and the right one joins. With --screenshots DIR, the page at desktop and phone
width is saved there. Exits 0 when every check passed; prints what failed otherwise.

    web_chat.py --chatserver PATH --chatclient PATH [--screenshots DIR]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:
    sys.exit("selenium is not installed: pip install selenium (.ci/run does)")

PATIENCE = 60  # seconds: a hang guard, never a time rule


def hold_ports(*ports):
    """Binds the ports of a stopped server (not listening) until it listens on them again
    (start_server(held=...); it may bind them while held, both with SO_REUSEADDR): the pages'
    attempts meanwhile are refused, and the kernel gives the ports to no other test's listener,
    whose server the pages would reach instead."""
    held = []
    for port in ports:
        hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the old server's TIME_WAITs
        hold.bind(("127.0.0.1", port))
        held.append(hold)
    return held


def find(paths):
    return next((p for p in paths if os.access(p, os.X_OK)), None)


class Program:
    """A child process whose output is collected as it comes."""

    def __init__(self, arguments, stdin=False):
        self.process = subprocess.Popen(
            arguments, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.output = ""
        self.lock = threading.Lock()
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=self.collect, args=(stream,), daemon=True).start()

    def collect(self, stream):
        for line in stream:
            with self.lock:
                self.output += line

    def text(self):
        with self.lock:
            return self.output

    def wait_for(self, pattern, what):
        deadline = time.time() + PATIENCE
        while time.time() < deadline:
            match = re.search(pattern, self.text())
            if match:
                return match
            time.sleep(0.05)
        raise AssertionError(f"{what}: not within {PATIENCE} s; output:\n{self.text()}")

    def type(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# How many times slower than normal this run may be (scripts/tsan.sh sets it): the alive timeout
# grows with it, so a page's heartbeat delayed by a busy machine does not retire it.
TIME_SCALE = float(os.environ.get("CHAT255_TIME_SCALE", "1"))


def start_server(chatserver, tcp_port=0, web_port=0, held=()):
    server = Program([chatserver, "--port", str(tcp_port), "--web-address", f"127.0.0.1:{web_port}",
                      "--alive-interval", "1", "--alive-timeout", f"{5 * TIME_SCALE:g}", "--log-level", "info"])
    tcp = int(server.wait_for(r"transport=tcp .*listening on \S*:(\d+)", "the TCP listener").group(1))
    web = int(server.wait_for(r"transport=websocket .*listening on \S*:(\d+)", "the web listener").group(1))
    for hold in held:  # the ports held since the last server stopped (hold_ports), let go once it listens
        hold.close()
    return server, tcp, web


def until(condition, what):
    deadline = time.time() + PATIENCE
    last = None
    while time.time() < deadline:
        try:
            if condition():
                return
        except Exception as error:  # the page may be mid-render
            last = error
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {PATIENCE} s" + (f" ({last})" if last else ""))


class Page:
    """One browser session on the chat page."""

    def __init__(self, driver_path, browser_path, url, phone=False, init_script=None):
        options = webdriver.ChromeOptions()
        options.binary_location = browser_path
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1280,800", "--no-first-run", "--disable-extensions"):
            options.add_argument(argument)
        if phone:  # a phone's viewport: 390 by 844 CSS pixels, touch
            options.add_experimental_option(
                "mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2, "touch": True}})
        self.driver = webdriver.Chrome(service=Service(driver_path), options=options)
        self.driver.set_page_load_timeout(PATIENCE)
        if init_script:  # runs in the page before its own script
            self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": init_script})
        self.driver.get(url)

    def el(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def join(self, name, password=""):
        until(lambda: self.el("#name").is_displayed(), "the join form")
        self.el("#name").clear()
        self.el("#name").send_keys(name)
        if password:
            self.el("#password").send_keys(password)
        self.el("#name").send_keys(Keys.ENTER)  # keyboard only

    def people(self):
        return [b.get_attribute("data-name") for b in self.driver.find_elements(By.CSS_SELECTOR, "#people button")]

    def log(self):
        return self.el("#log").text

    def select(self, name):
        # The list is drawn again at every change: a button found a moment ago may be gone.
        def click():
            self.el(f'#people button[data-name="{name}"]').click()
            return self.el(f'#people button[data-name="{name}"]').get_attribute("class").startswith("selected")
        until(click, f"the conversation with {name} selected")

    def unread(self, name):
        badges = self.driver.find_elements(By.CSS_SELECTOR, f'#people button[data-name="{name}"] .unread')
        return int(badges[0].text) if badges else 0

    def say(self, text):
        box = self.el("#message")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def status(self):
        return self.el("#status").text

    def quit(self):
        self.driver.quit()


NGINX = """daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
{location}
    }}
}}
"""


def nginx_location():
    """The location block of docs/OPERATIONS.md, as written there."""
    text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "OPERATIONS.md")).read()
    match = re.search(r"```nginx\n(location /chat/ \{.*?\n\})\n```", text, re.S)
    if not match:
        raise AssertionError("docs/OPERATIONS.md has no nginx location block for /chat/")
    return match.group(1)


def through_nginx(web, driver, browser, pages, others):
    """The page behind nginx on a sub-path, with the block of docs/OPERATIONS.md."""
    nginx = find(["/usr/sbin/nginx", "/usr/bin/nginx"])
    if not nginx:
        raise AssertionError("nginx is not installed: apt-get install nginx-light (.ci/run does)")
    folder = tempfile.mkdtemp(prefix="chat255-nginx-")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    location = nginx_location().replace("127.0.0.1:8080", f"127.0.0.1:{web}")
    with open(os.path.join(folder, "nginx.conf"), "w") as conf:
        conf.write(NGINX.format(dir=folder, port=port, location=location))
    proxy = Program([nginx, "-p", folder, "-e", os.path.join(folder, "error.log"), "-c",
                     os.path.join(folder, "nginx.conf")])
    try:
        page = None
        deadline = time.time() + PATIENCE
        while page is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
                page = Page(driver, browser, f"http://127.0.0.1:{port}/chat/")
            except OSError:
                if time.time() > deadline:
                    raise AssertionError(f"nginx did not listen on {port}: {proxy.text()}")
                time.sleep(0.05)
        pages.append(page)
        page.join("erin")
        until(lambda: page.el("#chat").is_displayed() and page.status() == "online as erin",
              "erin joins through nginx on /chat/")
        for other in others:
            until(lambda: "erin" in other.people(), "the others see erin")
        page.select("alice")
        page.say("hello through nginx")
        others[0].select("erin")
        until(lambda: "hello through nginx" in others[0].log(), "alice reads erin's message through nginx")
        page.say("@Quit")
    finally:
        proxy.stop()
        shutil.rmtree(folder, ignore_errors=True)


# The page's reconnect timer on a clock the test holds: setTimeout(connect, delay) is recorded and
# fired by the test, every other timer runs as usual. No test step waits for a delay to pass.
MANUAL_RECONNECT_CLOCK = """
(() => {
  const realSetTimeout = window.setTimeout.bind(window);
  const pending = [];
  window.reconnectDelays = [];
  window.setTimeout = (callback, delay, ...rest) => {
    if (typeof callback === "function" && callback.name === "connect") {
      window.reconnectDelays.push(delay);
      pending.push(callback);
      return 0;
    }
    return realSetTimeout(callback, delay, ...rest);
  };
  window.fireReconnect = () => { const callback = pending.shift(); if (callback) callback(); return !!callback; };
})();
"""


def reconnect_backoff(arguments, driver, browser, pages):
    """The page waits 0.5 s, then twice as long after each failed attempt, at most 10 s, says how
    long, and starts again from 0.5 s once it was back online."""
    server, tcp, web = start_server(arguments.chatserver)
    try:
        page = Page(driver, browser, f"http://127.0.0.1:{web}/", init_script=MANUAL_RECONNECT_CLOCK)
        pages.append(page)
        page.join("erin")
        until(lambda: page.status() == "online as erin", "erin joins")
        delays = lambda: page.driver.execute_script("return window.reconnectDelays")
        server.stop()
        held = hold_ports(tcp, web)
        expected = [500, 1000, 2000, 4000, 8000, 10000, 10000]
        for count in range(1, len(expected) + 1):
            until(lambda: delays() == expected[:count], f"reconnect delays {expected[:count]} (have {delays()})")
            seconds = f"{expected[count - 1] / 1000:g}"
            until(lambda: f"reconnecting in {seconds} s" in page.status(), f"the page says it reconnects in {seconds} s")
            if count < len(expected):
                assert page.driver.execute_script("return window.fireReconnect()"), "a reconnect was scheduled"
        server, tcp, web = start_server(arguments.chatserver, tcp, web, held)
        assert page.driver.execute_script("return window.fireReconnect()"), "a reconnect was scheduled"
        until(lambda: page.status() == "online as erin", "erin's page is back online at the next attempt")
        server.stop()
        until(lambda: delays() == expected + [500], "after being back online, the wait starts again from 0.5 s")
    finally:
        server.stop()


def page_rules(page):
    """The page's own rules, run in it: long texts split between graphemes, list parts with a gap
    dropped, and the composer refusing what the terminal client refuses."""
    # A family emoji is one grapheme of 18 bytes (8 UTF-16 units): 13 fit in a body of 239 bytes.
    pieces = page.driver.execute_script(r"return splitText('\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'.repeat(20))")
    assert [len(p.encode("utf-16-le")) // 2 for p in pieces] == [13 * 8, 7 * 8], f"family emoji split as {pieces!r}"
    accents = page.driver.execute_script(r"return splitText('e\u0301'.repeat(100))")  # 3 bytes each
    assert [len(p) for p in accents] == [79 * 2, 21 * 2], "an accented letter is never cut from its accent"
    online = page.driver.execute_script(
        "const before = [...state.online]; listPart('1/3 x1 x2'); listPart('3/3 x5');"
        "return [before, [...state.online], state.listParts];")
    assert online[1] == online[0] and online[2] is None, f"a list with a gap is dropped: {online}"
    page.select("carol")  # the complaint goes to the open conversation: not the one the screenshots show
    page.say("(-SERVER-) List changes")
    until(lambda: '"-SERVER-" is not a valid name' in page.log(), "the composer refuses -SERVER- as a target")


def accounts(arguments, driver, browser, pages):
    folder = tempfile.mkdtemp(prefix="chat255-web-users-")
    users = os.path.join(folder, "users")
    subprocess.run([arguments.chatserver, "passwd", users, "dora"], input="open sesame\n", text=True,
                   check=True, capture_output=True, timeout=PATIENCE)
    server = Program([arguments.chatserver, "--port", "0", "--web-address", "127.0.0.1:0", "--users", users])
    try:
        web = int(server.wait_for(r"transport=websocket .*listening on \S*:(\d+)", "the web listener").group(1))
        page = Page(driver, browser, f"http://127.0.0.1:{web}/")
        pages.append(page)
        page.join("dora", "wrong")
        until(lambda: "Wrong name or password" in page.el("#join-error").text, "the page says the password is wrong")
        page.el("#password").clear()
        page.join("dora", "open sesame")
        until(lambda: page.el("#chat").is_displayed() and page.status() == "online as dora",
              "dora joins with her password")
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chatserver", required=True)
    parser.add_argument("--chatclient", required=True)
    parser.add_argument("--screenshots")
    arguments = parser.parse_args()
    browser = find(["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"])
    driver = find(["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
    if not browser or not driver:
        sys.exit("chromium and chromedriver are not installed: apt-get install chromium chromium-driver (.ci/run does)")

    # Chromium leaves its singleton folder (org.chromium.Chromium.*) in TMPDIR when chromedriver
    # ends it: every temporary file of this run (the browsers', the users file, nginx's) goes in
    # one folder, removed at the end.
    scratch = tempfile.mkdtemp(prefix="chat255-browser-")
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    server, tcp, web = start_server(arguments.chatserver)
    url = f"http://127.0.0.1:{web}/"
    pages, client = [], None
    try:
        alice = Page(driver, browser, url)
        pages.append(alice)
        bob = Page(driver, browser, url, phone=True)
        pages.append(bob)
        alice.join("alice")
        bob.join("bob")
        until(lambda: alice.el("#chat").is_displayed() and bob.el("#chat").is_displayed(), "both pages joined")
        client = Program([arguments.chatclient, "carol", "--port", str(tcp), "--no-color"], stdin=True)
        client.wait_for(r"online \(3\): alice bob carol", "carol sees alice and bob")
        until(lambda: {"bob", "carol"} <= set(alice.people()), "alice's list holds bob and carol")
        until(lambda: {"alice", "carol"} <= set(bob.people()), "bob's list holds alice and carol")
        until(lambda: "carol joined" in alice.log(), "alice's page says carol joined")
        page_rules(alice)

        # Browser to browser: alice picks bob by clicking his name; bob sees an unread message.
        alice.select("bob")
        alice.say("hello bob, from a browser")
        until(lambda: bob.unread("alice") == 1, "bob's page counts one unread from alice")
        bob.select("alice")
        until(lambda: "hello bob, from a browser" in bob.log(), "bob reads alice's message")

        # Browser to terminal, typed as in the terminal client, and back.
        bob.say("(carol) hi carol, from a phone")
        client.wait_for(r"bob: hi carol, from a phone", "carol reads bob's message")
        client.type("(alice) hello alice, from a terminal")
        until(lambda: alice.unread("carol") == 1, "alice's page counts one unread from carol")
        alice.select("carol")
        until(lambda: "hello alice, from a terminal" in alice.log(), "alice reads carol's message")

        # ALL reaches everyone.
        client.type("(ALL) hello everyone")
        for page in (alice, bob):
            page.select("ALL")
            until(lambda: "hello everyone" in page.log(), "the message to ALL shows on both pages")
        alice.say("and hello from alice")
        until(lambda: "and hello from alice" in bob.log(), "bob reads alice's message to ALL")
        client.wait_for(r"alice \(to ALL\): and hello from alice", "carol reads alice's message to ALL")

        # Offline.
        alice.say("(dave) are you there?")
        until(lambda: "dave is offline" in alice.log(), "alice's page says dave is offline")

        # A long text is split as the terminal client splits it.
        alice.select("bob")
        long_text = "x" * 300
        alice.say(long_text)
        bob.select("alice")
        until(lambda: "x" * 239 in bob.log() and "x" * 61 in bob.log(), "bob reads the long text in two messages")

        # A taken name is refused on the page.
        third = Page(driver, browser, url)
        pages.append(third)
        third.join("bob")
        until(lambda: "taken" in third.el("#join-error").text, "the page says the name is taken")
        third.join("bob*x y")
        until(lambda: "not a valid name" in third.el("#join-error").text or "1 to 8" in third.el("#join-error").text,
              "the page says the name is invalid")

        # Behind nginx on a sub-path, with the block of docs/OPERATIONS.md.
        through_nginx(web, driver, browser, pages, [alice, bob])

        if arguments.screenshots:
            os.makedirs(arguments.screenshots, exist_ok=True)
            alice.select("ALL")
            time.sleep(0.3)
            alice.driver.save_screenshot(os.path.join(arguments.screenshots, "web-desktop.png"))
            bob.select("ALL")
            time.sleep(0.3)
            bob.driver.save_screenshot(os.path.join(arguments.screenshots, "web-phone.png"))

        # The heartbeat (from the page's worker) kept everyone online all along.
        assert "retiring a silent client" not in server.text(), "a page missed its heartbeat"

        # The server restarts: the pages say so and come back by themselves.
        server.stop()
        held = hold_ports(tcp, web)
        until(lambda: "lost" in alice.status() or "reconnecting" in alice.status(), "alice's page says the connection was lost")
        server, tcp, web = start_server(arguments.chatserver, tcp, web, held)
        until(lambda: alice.status() == "online as alice", "alice's page is back online")
        until(lambda: bob.status() == "online as bob", "bob's page is back online")
        alice.select("bob")
        bob.select("alice")
        alice.say("back after the restart")
        until(lambda: "back after the restart" in bob.log(), "a message crosses after the restart")
        # The reconnect backoff, on a clock the test holds.
        reconnect_backoff(arguments, driver, browser, pages)
        # A server with accounts: a wrong password is refused on the page, the right one joins.
        accounts(arguments, driver, browser, pages)
        print("web chat in the browser: every check passed")
        return 0
    except Exception as failure:  # a check, or the browser itself
        print(f"FAILED: {type(failure).__name__}: {failure}")
        print("chatserver said:\n" + server.text())
        return 1
    finally:
        for page in pages:
            page.quit()
        if client:
            client.stop()
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

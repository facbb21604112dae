"""Browser tests against a real SocialDesk server.

One server per session: `manage.py migrate`, `load_demo_data` and `serve` (web server plus task
worker) in a subprocess, on a fresh SQLite file in a temporary directory, or, when DATABASE_URL is
set, on a throwaway PostgreSQL database that is created here and dropped at the end. Playwright
drives Debian's chromium. Every page's console is recorded; a Content Security Policy violation
or an uncaught script error fails the test that caused it.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("SOCIALDESK_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
STARTUP_TIMEOUT = 90  # seconds for the server to answer /api/v1/health


# --- The server ----------------------------------------------------------------------------------


@dataclass
class Server:
    """A running SocialDesk: its address, environment and log."""

    base_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run `manage.py <args>` against the server's database; returns stdout."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/api/v1/health")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _postgres_admin(url: str, sql: str) -> None:
    """Run one statement outside a transaction on the server's maintenance database."""
    import psycopg

    last_error: Exception | None = None
    for maintenance in ("postgres", "template1"):
        try:
            with psycopg.connect(_with_database(url, maintenance), autocommit=True) as conn:
                conn.execute(sql)
            return
        except psycopg.OperationalError as error:  # that maintenance database is not reachable
            last_error = error
    raise RuntimeError(f"PostgreSQL: {sql!r} failed: {last_error}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group (web server and task worker)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("socialdesk-var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "SOCIALDESK_VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("SOCIALDESK_2FA_EXEMPT_DEMO_USERS", "DJANGO_DEBUG", "SOCIALDESK_DEMO_PASSWORD"):
        env.pop(name, None)

    database_url = os.environ.get("DATABASE_URL", "")
    pg_name = ""
    if database_url:
        pg_name = f"socialdesk_e2e_{os.getpid()}_{secrets.token_hex(4)}"
        _postgres_admin(database_url, f'CREATE DATABASE "{pg_name}"')
        env["DATABASE_URL"] = _with_database(database_url, pg_name)

    port = _free_port()
    srv = Server(base_url=f"http://127.0.0.1:{port}", env=env, log_path=var_dir / "server.log")
    try:
        srv.manage("migrate", "--noinput", timeout=300)
        srv.manage("load_demo_data")
        with srv.log_path.open("wb") as log:
            srv.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped together at the end
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(port):
            if srv.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The server did not start:\n{srv.log_tail()}")
            time.sleep(0.25)
        yield srv
    finally:
        if srv.process is not None:
            _stop(srv.process)
        if pg_name:
            _postgres_admin(database_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


# --- The browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    instance = sync_playwright().start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@dataclass
class ConsoleLog:
    """What the pages of one test wrote to the console."""

    messages: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        line = f"[{message.type}] {message.text} ({message.location.get('url', '')})"
        self.messages.append(line)
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            self.violations.append(f"CSP: {line}")

    def on_page_error(self, error: PlaywrightError) -> None:
        self.violations.append(f"Uncaught script error: {error}")


@pytest.fixture
def console(request: pytest.FixtureRequest) -> ConsoleLog:
    log = ConsoleLog()
    request.node.stash[CONSOLE_KEY] = log
    return log


CONSOLE_KEY = pytest.StashKey[ConsoleLog]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test itself (not its teardown) when a page broke the CSP or threw."""
    result = yield
    log = item.stash.get(CONSOLE_KEY, None)
    if log is not None and log.violations:
        details = "\n".join(log.violations)
        raise AssertionError(f"The browser reported CSP violations or script errors:\n{details}")
    return result


NewContext = Callable[..., BrowserContext]
NewPage = Callable[..., Page]


@pytest.fixture
def new_context(browser: Browser, server: Server, console: ConsoleLog) -> Iterator[NewContext]:
    """Factory of isolated browser contexts (own cookies) whose pages report to `console`."""
    contexts: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        settings: dict[str, object] = {
            "base_url": server.base_url,
            "viewport": DESKTOP,
            "accept_downloads": True,
            **options,
        }
        context = browser.new_context(**settings)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)

        def watch(page: Page) -> None:
            page.on("console", console.on_console)
            page.on("pageerror", console.on_page_error)

        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(new_context: NewContext) -> NewPage:
    """Factory: a page in a new, isolated context."""

    def make(**options: object) -> Page:
        return new_context(**options).new_page()

    return make


@pytest.fixture
def page(new_page: NewPage) -> Page:
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On failure, attach the end of the server's log and the browser console to the report."""
    report = yield
    if report.failed and call.when == "call":
        srv = getattr(item, "funcargs", {}).get("server")
        if isinstance(srv, Server):
            report.sections.append(("server log (tail)", srv.log_tail()))
        log = item.stash.get(CONSOLE_KEY, None)
        if log is not None and log.messages:
            report.sections.append(("browser console", "\n".join(log.messages[-60:])))
    return report

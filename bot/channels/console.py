"""The console adapter: the chat in a terminal, or fed through a pipe."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path
from typing import TextIO

from bot.channels.base import Channel, Dispatch, format_choices
from handlers import texts
from handlers.ports import Clock
from handlers.types import Incoming, Reply, ReplyFile
from storage.private import write_private

log = logging.getLogger(__name__)


class ConsoleChannel(Channel):
    """Reads one message a line from stdin, prints replies; buttons become numbered choices."""

    name = "console"
    max_text = 100_000
    supports_buttons = False

    def __init__(
        self,
        dispatch: Dispatch,
        *,
        clock: Clock,
        stdin: TextIO,
        stdout: TextIO,
        user_id: str = "local",
        files_dir: Path | None = None,
    ) -> None:
        super().__init__(dispatch)
        self.files_dir = files_dir  # where attached files (Excel, charts) are saved
        self.clock = clock
        self.stdin = stdin
        self.stdout = stdout
        self.user_id = user_id
        self.interactive = stdin.isatty()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start reading lines in the background."""
        if self.interactive:
            self.write(texts.CONSOLE_WELCOME + "\n")
        self._task = asyncio.create_task(self.converse(), name="console")

    async def stop(self) -> None:
        """Stop reading."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.finished.set()

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Print a reply; its buttons are printed as numbered choices (the handlers read a
        typed number back, from the chat's state)."""
        parts = self.texts_of(reply)
        if reply.file is not None and self.files_dir is not None:
            try:
                parts.append(texts.FILE_SAVED.format(path=self.save_file(reply.file)))
            except OSError as exc:  # a full disk or an unwritable folder: keep chatting
                log.warning("console: could not save %s: %s", reply.file.name, exc)
                parts.append(texts.FILE_NOT_SAVED.format(folder=self.files_dir))
        if reply.buttons:
            parts.append(format_choices(reply))
        self.write("\n".join(p for p in parts if p) + "\n\n")

    async def converse(self) -> None:
        """Answer each line of input until end of input."""
        lines = read_lines(self.stdin)
        try:
            while True:
                self.prompt()
                line = await lines.get()
                if line is None:
                    break
                await self.receive(line)
        except OSError as exc:  # e.g. the reader of a pipe went away
            log.warning("console output failed: %s", exc)
        finally:
            self.finished.set()

    async def receive(self, line: str) -> None:
        """Turn one typed line into an Incoming, dispatch it, print the replies."""
        chat_id = self.user_id
        incoming = Incoming(
            channel=self.name, chat_id=chat_id, user_id=self.user_id, text=line, at=self.clock()
        )
        for reply in await self.dispatch(incoming):
            await self.send(chat_id, reply)

    def save_file(self, file: ReplyFile) -> Path:
        """Save an attached file under files_dir (readable by its owner only); return its path."""
        assert self.files_dir is not None
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / Path(file.name).name
        write_private(path, file.content)
        return path

    def prompt(self) -> None:
        """Show a prompt, only when a person is typing."""
        if self.interactive:
            self.write("> ")

    def write(self, text: str) -> None:
        """Write and flush, so piped output appears line by line."""
        self.stdout.write(text)
        self.stdout.flush()


def read_lines(stream: TextIO) -> asyncio.Queue[str | None]:
    """Read lines on a daemon thread into a queue; None marks end of input.

    A daemon thread (not the default executor) so that Ctrl+C never waits for
    a blocked read.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def put(item: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed first
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def pump() -> None:
        try:
            for line in iter(stream.readline, ""):
                put(line.rstrip("\r\n"))
        except (OSError, ValueError) as exc:
            log.warning("console input failed: %s", exc)
        put(None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue

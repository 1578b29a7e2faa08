"""A customer whose conversation was handed over to a person, from the customer's side.

While nobody holds the handoff the bot tells them a colleague is coming and they write the odd
impatient line. Once a person writes to them (the platform relays it), they answer within a few
seconds: their scripted answers first, then thanks, then short acknowledgements. They stop
when the handoff is resolved, so nothing they write can start a new handoff afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from datetime import UTC, datetime
from typing import Any

from agent_desk.demo.bot_platform import Mailbox
from agent_desk.demo.followups import acknowledgement, hold_line
from agent_desk.demo.link import SourceClient
from agent_desk.demo.scenarios import Conversation
from agent_desk.protocol.timefmt import format_time

log = logging.getLogger(__name__)


def now() -> str:
    return format_time(datetime.now(UTC))


class LiveCustomer:
    """Plays a handed-over conversation until its handoff is resolved.

    Args:
        client: the source connection their messages go through (``observe``).
        conversation: what they are here about, with their answers.
        conv: the ``conversation`` object of their ``observe`` requests.
        pace: seconds between their turns (scaled randomly 0.5-1.5x); 0 for tests.
        rng: where their pauses come from.
        mailbox: what the platform relays to them; None when the hub relays nothing.
    """

    def __init__(
        self,
        client: SourceClient,
        conversation: Conversation,
        conv: dict[str, Any],
        pace: float,
        rng: random.Random,
        mailbox: Mailbox | None,
    ) -> None:
        self.client = client
        self.conversation = conversation
        self.conv = conv
        self.pace = pace
        self.rng = rng
        self.mailbox = mailbox
        self.answered = 0

    async def _pause(self, turns: float = 1.0) -> None:
        if self.pace > 0:
            await asyncio.sleep(self.pace * turns * self.rng.uniform(0.5, 1.5))

    async def _say(self, text: str, role: str = "customer") -> None:
        await self.client.call("observe", conversation=self.conv, message={"role": role, "text": text, "at": now()})

    def next_answer(self) -> str:
        """What they write to the next message a person sends them."""
        answers = self.conversation.answers
        count, self.answered = self.answered, self.answered + 1
        if count < len(answers):
            return answers[count]
        return acknowledgement(self.conversation.language, count - len(answers))

    async def run(self) -> None:
        if self.mailbox is None:
            await self._wait_unheard()
        else:
            await self._talk(self.mailbox)

    async def _wait_unheard(self) -> None:
        """Without relayed messages: the waiting lines, while nobody has taken the handoff."""
        for text in self.conversation.after_handoff:
            await self._pause(2)
            status = await self.client.call("status", conversation_id=self.conversation.id)
            if status.get("status", "waiting") != "waiting":
                return
            await self._say(text)

    async def _talk(self, box: Mailbox) -> None:
        waiting = deque(self.conversation.after_handoff)
        held = False  # the bot has told them a colleague is coming
        while box.status != "resolved":
            box.changed.clear()
            if box.inbox:
                box.inbox.popleft()
                await self._pause(1)  # reading, then typing
                if box.status == "resolved":
                    return
                await self._say(self.next_answer())
                continue
            if box.status == "waiting" and (waiting or not held):
                try:
                    await asyncio.wait_for(box.changed.wait(), self.pace * (1 if not held else 5) + 0.01)
                    continue
                except TimeoutError:
                    pass
                if box.status != "waiting" or box.inbox:
                    continue
                if not held:
                    held = True
                    await self._say(hold_line(self.conversation.language), role="bot")
                else:
                    await self._say(waiting.popleft())
                continue
            await box.changed.wait()

"""What a person does in the browser, step by step, as the tests share it (by element ids, so
that the steps hold in Korean and English)."""

from __future__ import annotations

from typing import Any

from broker.bootstrap import Broker
from tests.web.conftest import Person


def sign_in(page: Any, broker: Broker, who: Person) -> None:
    page.goto("/console/login")
    page.fill("#username", who.username)
    page.fill("#password", who.password)
    if who.totp_secret:
        page.fill("#code", who.code(broker))
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/console/")


def sign_out(page: Any) -> None:
    page.click("#logout")
    page.wait_for_url("**/console/login")


def play(page: Any, selector: str) -> dict[str, Any]:
    """Play a <video> muted for 0.8 s; where it got to, its size and any media error code."""
    return page.evaluate("""async (selector) => {
        const video = document.querySelector(selector);
        video.muted = true;
        await video.play();
        await new Promise((done) => setTimeout(done, 800));
        return {time: video.currentTime, width: video.videoWidth, error: video.error && video.error.code};
    }""", selector)

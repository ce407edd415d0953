"""The chat-completions client: OpenAI, Azure OpenAI or a local server, through the openai package."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qualitygate.config import AISettings
from qualitygate.errors import ConfigError

INSTALL_HINT = "AI suggestions need the openai package: pip install 'qualitygate-cli[ai]'"
# Azure's generally available data-plane version when neither the config nor the env names one.
DEFAULT_AZURE_API_VERSION = "2024-10-21"
# OpenAI-compatible local servers (Ollama, vLLM) take any key; the client insists on one.
NO_KEY = "unused"


class AIUnavailable(ConfigError):
    """AI is enabled but cannot run: not configured, or the openai package is missing."""


class RequestFailed(Exception):
    """One request failed after the client's retries; the message is safe to print."""


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and with which key; the key stays out of repr and of every message."""

    provider: str
    model: str  # the model, or Azure's deployment
    url: str | None  # base_url, or Azure's endpoint; None is api.openai.com
    api_version: str | None
    timeout: float
    max_retries: int
    key: str = field(repr=False)

    @property
    def identity(self) -> str:
        """Who answers, for the cache key (the key is not part of it)."""
        return f"{self.provider} {self.url or 'default'} {self.model} {self.api_version or ''}"


def _key(env: Mapping[str, str], ai: AISettings, default: str, optional: bool) -> str:
    name = ai.api_key_env or default
    value = env.get(name, "")
    if value:
        return value
    if optional and not ai.api_key_env:
        return NO_KEY
    raise AIUnavailable(f"AI suggestions: the environment variable {name} (the API key) is not set")


def _openai(ai: AISettings, env: Mapping[str, str]) -> Endpoint:
    if not ai.model:
        raise AIUnavailable("AI suggestions: set model in [tool.qualitygate.ai]")
    url = ai.base_url or env.get("OPENAI_BASE_URL") or None
    key = _key(env, ai, "OPENAI_API_KEY", optional=url is not None)
    return Endpoint("openai", ai.model, url, None, ai.timeout, ai.max_retries, key)


def _azure(ai: AISettings, env: Mapping[str, str]) -> Endpoint:
    url = ai.endpoint or env.get("AZURE_OPENAI_ENDPOINT")
    deployment = ai.deployment or ai.model
    if not url or not deployment:
        raise AIUnavailable(
            "AI suggestions: Azure needs endpoint (or AZURE_OPENAI_ENDPOINT) and deployment "
            "in [tool.qualitygate.ai]"
        )
    version = ai.api_version or env.get("OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION
    key = _key(env, ai, "AZURE_OPENAI_API_KEY", optional=False)
    return Endpoint("azure", deployment, url, version, ai.timeout, ai.max_retries, key)


def resolve(ai: AISettings, env: Mapping[str, str]) -> Endpoint:
    """The endpoint from ``[tool.qualitygate.ai]``, filled in from the standard variables."""
    return _azure(ai, env) if ai.provider == "azure" else _openai(ai, env)


def redact(text: str, secret: str) -> str:
    """``text`` with every occurrence of the key masked (servers may echo it in errors)."""
    return text.replace(secret, "***") if secret and secret != NO_KEY else text


BACKOFF_ALLOWANCE_S = 10.0  # the openai client backs off at most 8 s between tries
# A refactoring wants the likeliest code, not variety; and a rewrite of one function (with its
# helpers) fits in far fewer tokens than this, so a rambling answer is cut off, not paid for.
TEMPERATURE = 0.2
MAX_TOKENS = 4096


class ChatClient:
    """One client for the whole run; the openai package is imported only here, only when used."""

    def __init__(self, endpoint: Endpoint) -> None:
        try:
            import openai
        except ImportError:
            raise AIUnavailable(INSTALL_HINT) from None
        self.endpoint = endpoint
        self.errors = openai
        # The client retries 408, 409, 429 and 5xx and timeouts itself, backing off exponentially.
        common: dict[str, Any] = {"timeout": endpoint.timeout, "max_retries": endpoint.max_retries}
        if endpoint.provider == "azure":
            self.client: Any = openai.AzureOpenAI(
                azure_endpoint=endpoint.url or "", api_version=endpoint.api_version,
                azure_deployment=endpoint.model, api_key=endpoint.key, **common,
            )  # fmt: skip
        else:
            self.client = openai.OpenAI(api_key=endpoint.key, base_url=endpoint.url, **common)

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The answer's text within ``deadline()`` seconds, retries included; every failure becomes
        RequestFailed with a printable reason.

        The client's own timeout is per read: a server that trickles one byte at a time would
        hold the run forever (issue 12). The request runs in a daemon thread that is given up on
        at the deadline; closing the client at the end of the stage drops its connection.
        """
        import threading

        outcome: list[str | RequestFailed] = []
        worker = threading.Thread(target=lambda: outcome.append(self._attempt(messages)), daemon=True)
        worker.start()
        worker.join(self.deadline())
        if not outcome:
            raise RequestFailed(f"no whole answer within {self.deadline():g} s")
        if isinstance(outcome[0], RequestFailed):
            raise outcome[0]
        return outcome[0]

    def deadline(self) -> float:
        """Seconds a request may take in all: each try's timeout, and time to back off between."""
        retries = self.endpoint.max_retries
        return self.endpoint.timeout * (retries + 1) + BACKOFF_ALLOWANCE_S * retries

    def _attempt(self, messages: list[dict[str, str]]) -> str | RequestFailed:
        try:
            return self._complete(messages)
        except RequestFailed as exc:
            return exc

    def _complete(self, messages: list[dict[str, str]]) -> str:
        try:
            response = self.client.chat.completions.create(
                model=self.endpoint.model, messages=messages,
                temperature=TEMPERATURE, max_tokens=MAX_TOKENS,
            )  # fmt: skip
            content = response.choices[0].message.content
        except Exception as exc:  # noqa: BLE001 - a suggestion must never break the gate
            raise RequestFailed(redact(self._reason(exc), self.endpoint.key)) from None
        if not isinstance(content, str):
            raise RequestFailed("the answer holds no message")
        return redact(content, self.endpoint.key)

    def _reason(self, exc: Exception) -> str:
        errors = self.errors
        count = self.endpoint.max_retries
        retries = f" (after {count} retr{'y' if count == 1 else 'ies'})" if count else ""
        if isinstance(exc, errors.APITimeoutError):
            return f"timed out after {self.endpoint.timeout:g} s{retries}"
        if isinstance(exc, errors.APIConnectionError):
            return f"cannot connect to the server{retries}"
        if isinstance(exc, errors.APIStatusError):
            return f"HTTP {exc.status_code}{retries if exc.status_code >= 429 else ''}"
        if isinstance(exc, (AttributeError, IndexError, TypeError, ValueError)):
            return f"the server's answer is not a chat completion ({type(exc).__name__})"
        return f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        """Release the HTTP connections."""
        self.client.close()

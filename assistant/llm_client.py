"""The chat model behind the LLM answerer (assistant.llm): a streaming LangChain client
for the NARA_LLM_* settings (any OpenAI-compatible server, or Azure OpenAI), and the
user-facing error for a failed call.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_openai import AzureChatOpenAI, ChatOpenAI
from pydantic import SecretStr

from nara.errors import ConfigError, NaraError
from nara.settings import Settings

MAX_RETRIES = 2
NO_KEY = "not-needed"
"""Sent when NARA_LLM_API_KEY is unset: local servers (Ollama, llama.cpp) accept any key."""


class LLMError(NaraError):
    """The LLM server could not be used (unreachable, timed out, key refused, failed).

    The message names the setting to check, never the server's or library's raw text."""

    def __init__(self, message: str, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


def chat_model(settings: Settings) -> BaseChatModel:
    """A streaming LangChain chat model for the NARA_LLM_* settings."""
    if not settings.llm.base_url or not settings.llm.model:
        raise ConfigError(
            "The LLM answerer needs a server and a model.",
            "Set NARA_LLM_BASE_URL and NARA_LLM_MODEL.",
        )
    key = SecretStr(settings.llm.api_key.get_secret_value() if settings.llm.api_key else NO_KEY)
    if settings.llm.provider == "azure":
        return AzureChatOpenAI(
            azure_endpoint=settings.llm.base_url,
            azure_deployment=settings.llm.model,
            api_version=settings.llm.api_version,
            api_key=key,
            timeout=settings.llm.timeout_s,
            max_retries=MAX_RETRIES,
            temperature=0,
            streaming=True,
        )
    return ChatOpenAI(
        base_url=settings.llm.base_url,
        model=settings.llm.model,
        api_key=key,
        timeout=settings.llm.timeout_s,
        max_retries=MAX_RETRIES,
        temperature=0,
        streaming=True,
    )


def _server(settings: Settings) -> str:
    """The server's address without credentials, path or query."""
    parts = urlsplit(settings.llm.base_url or "")
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def llm_error(exc: BaseException, settings: Settings) -> LLMError:
    """A user-facing error for a failed LLM call; the raw exception text stays out."""
    server = _server(settings)
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return LLMError(
            f"The LLM server at {server} did not answer within {settings.llm.timeout_s:g} s.",
            "Check that it is running and reachable (NARA_LLM_BASE_URL), or raise "
            "NARA_LLM_TIMEOUT_S.",
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return LLMError(
            f"Cannot reach the LLM server at {server}.",
            "Check NARA_LLM_BASE_URL and that the server is running.",
        )
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc.status_code, server)
    return LLMError(
        f"The LLM call to {server} failed ({type(exc).__name__}).",
        "Check NARA_LLM_BASE_URL, NARA_LLM_MODEL and NARA_LLM_API_KEY, and the server's log.",
    )


def _status_error(status: int, server: str) -> LLMError:
    if status in (401, 403):
        message = f"The LLM server at {server} refused the key (HTTP {status})."
        hint = "Check NARA_LLM_API_KEY."
    elif status == 404:
        message = f"The LLM server at {server} does not know the model or path (HTTP 404)."
        hint = (
            "Check NARA_LLM_MODEL (for Azure: the deployment name) and NARA_LLM_BASE_URL "
            "(OpenAI-compatible servers: usually ending in /v1)."
        )
    elif status == 429:
        message = f"The LLM server at {server} is rate limiting requests (HTTP 429)."
        hint = "Try again later, or raise the quota of NARA_LLM_API_KEY."
    else:
        message = f"The LLM server at {server} answered with an error (HTTP {status})."
        hint = "Check NARA_LLM_MODEL and NARA_LLM_BASE_URL, and the server's log."
    return LLMError(message, hint, status)

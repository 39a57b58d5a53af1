"""What every interface shares: the settings, the knowledge base, the assistant and the
feedback store. Built once per process by `build_services`, never at import time."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.service import Assistant
from knowledge.base import KnowledgeBase
from nara.settings import Settings
from ui.feedback import FeedbackStore


@dataclass
class Services:
    settings: Settings
    kb: KnowledgeBase
    assistant: Assistant
    feedback: FeedbackStore


def build_services(settings: Settings) -> Services:
    kb = KnowledgeBase(settings)
    return Services(settings, kb, Assistant(kb), FeedbackStore(settings.feedback_file))

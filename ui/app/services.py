"""What every interface shares: the settings, the knowledge base, the assistant, the
feedback store and the audit log. Built once per process by `build_services`, never at
import time."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.service import Assistant
from knowledge.base import KnowledgeBase
from nara.settings import Settings
from ui.app.audit import AuditLog
from ui.app.feedback import FeedbackStore
from ui.app.key_sessions import KeySessions
from ui.app.keys import KeyRing, KeyStore


@dataclass
class Services:
    settings: Settings
    kb: KnowledgeBase
    assistant: Assistant
    feedback: FeedbackStore
    audit_log: AuditLog | None = None
    """Made from the settings on first use when not given."""
    key_store: KeyStore | None = None
    """The key records, opened on first use when not given."""
    chat_sessions: KeySessions = field(default_factory=KeySessions)
    """The chat's sessions signed in with a key (`ui.chat.identity`)."""

    @property
    def audit(self) -> AuditLog:
        """The audit log every interface records its actions in (`ui.app.audit`)."""
        if self.audit_log is None:
            self.audit_log = AuditLog.from_settings(self.settings)
        return self.audit_log

    @property
    def keys(self) -> KeyRing:
        """The keys that open the API and the chat: records and NARA_* keys (`ui.app.keys`),
        under the current settings."""
        path = KeyRing.path_for(self.settings)
        if self.key_store is None or self.key_store.path != path:
            self.key_store = KeyStore(path)
        return KeyRing(self.settings, self.key_store)


def build_services(settings: Settings) -> Services:
    kb = KnowledgeBase(settings)
    return Services(
        settings,
        kb,
        Assistant(kb),
        FeedbackStore(settings.feedback_file),
        AuditLog.from_settings(settings),
    )

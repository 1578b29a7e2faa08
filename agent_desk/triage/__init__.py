"""Triage: when a bot conversation needs a person, how urgent it is, where it goes, and why.

Pure: reads its rules file and nothing else; no network, no database, no Qt.
"""

from agent_desk.triage.classifier import ModelError, SignalModel
from agent_desk.triage.engine import ConversationTriage, Triage, pair_attempts
from agent_desk.triage.model import Attempt, Customer, Decision, Message, Reason, Sentiment
from agent_desk.triage.rules import Rules, RulesError, default_rules, load_rules, parse_rules
from agent_desk.triage.signals import MessageRecord, message_sentiment

__all__ = [
    "Attempt",
    "ConversationTriage",
    "Customer",
    "Decision",
    "Message",
    "MessageRecord",
    "ModelError",
    "Reason",
    "Rules",
    "RulesError",
    "Sentiment",
    "SignalModel",
    "Triage",
    "default_rules",
    "load_rules",
    "message_sentiment",
    "pair_attempts",
    "parse_rules",
]

"""Everything the generated SDK uses from the runtime, in one import
(`from promptlang.runtime import api as _rt`), so that generated code does not depend
on how the runtime is split into modules."""

from __future__ import annotations

from promptlang.runtime.audit import REDACTED
from promptlang.runtime.audit import AuditLog
from promptlang.runtime.audit import redact
from promptlang.runtime.backoff import Backoff
from promptlang.runtime.call import Observer
from promptlang.runtime.call import acall
from promptlang.runtime.call import call
from promptlang.runtime.call import observers
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.convert import anything
from promptlang.runtime.convert import boolean
from promptlang.runtime.convert import construct
from promptlang.runtime.convert import constraints
from promptlang.runtime.convert import fields
from promptlang.runtime.convert import integer
from promptlang.runtime.convert import list_of
from promptlang.runtime.convert import map_of
from promptlang.runtime.convert import member
from promptlang.runtime.convert import number
from promptlang.runtime.convert import optional
from promptlang.runtime.convert import parse_json
from promptlang.runtime.convert import plain_inputs
from promptlang.runtime.convert import string
from promptlang.runtime.convert import unwrap
from promptlang.runtime.convert import within
from promptlang.runtime.errors import ConfigurationError
from promptlang.runtime.errors import InvalidOutput
from promptlang.runtime.errors import MissingApiKey
from promptlang.runtime.errors import MissingRecording
from promptlang.runtime.errors import MissingSlots
from promptlang.runtime.errors import PolicyViolation
from promptlang.runtime.errors import PromptError
from promptlang.runtime.errors import ProviderError
from promptlang.runtime.errors import RateLimited
from promptlang.runtime.errors import Timeout
from promptlang.runtime.messages import Completion
from promptlang.runtime.messages import Message
from promptlang.runtime.metrics import Metrics
from promptlang.runtime.policy import DenyPattern
from promptlang.runtime.policy import DenyWords
from promptlang.runtime.policy import OutputRule
from promptlang.runtime.policy import Policy
from promptlang.runtime.providers import Providers
from promptlang.runtime.providers import default_providers
from promptlang.runtime.providers.base import JsonSchema
from promptlang.runtime.providers.replay import input_json
from promptlang.runtime.providers.replay import recording_key
from promptlang.runtime.providers.replay import write_recording
from promptlang.runtime.record import CallRecord
from promptlang.runtime.record import PromptInfo
from promptlang.runtime.record import Violation
from promptlang.runtime.router import Intent
from promptlang.runtime.router import Match
from promptlang.runtime.router import RouteArg
from promptlang.runtime.router import Router
from promptlang.runtime.router import Slot

__all__ = [
    "REDACTED", "AuditLog", "Backoff", "CallRecord", "Completion", "ConfigurationError",
    "DenyPattern", "DenyWords", "Intent", "InvalidOutput", "Match", "MissingSlots",
    "RouteArg", "Router", "Slot", "JsonSchema", "Message", "Metrics",
    "MissingApiKey", "MissingRecording", "ModelConfig", "Observer", "OutputRule", "Policy",
    "PolicyViolation", "PromptError", "PromptInfo", "ProviderError", "Providers", "RateLimited",
    "Timeout", "Violation", "acall", "anything", "boolean", "call", "constraints", "construct", "default_providers",
    "fields", "input_json", "integer", "list_of", "map_of", "member", "number", "observers",
    "optional", "parse_json", "plain_inputs", "recording_key", "redact", "string", "unwrap", "within",
    "write_recording",
]

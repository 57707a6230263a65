"""Pure online detectors for outbound mail (River protocol; no Kafka, Faust or Prometheus)."""

from .alerts import DETECTORS, SEVERITIES, Alert
from .config import SentinelConfig
from .errors import ConfigError, EventRejected, MailflowError
from .events import REJECT_REASONS, Attachment, MailEvent, parse_event
from .fanout import FanOut, ReplyRelay
from .pipeline import Outcome, SenderState, Sentinel
from .sensitive import SensitiveRequest, find_requests
from .templates import TemplateKeyer
from .volume import VolumeSpike

__all__ = [
    "Alert", "DETECTORS", "SEVERITIES", "SentinelConfig", "ConfigError", "EventRejected", "MailflowError",
    "REJECT_REASONS", "Attachment", "MailEvent", "parse_event", "FanOut", "ReplyRelay", "Outcome",
    "SenderState", "Sentinel", "SensitiveRequest", "find_requests", "TemplateKeyer", "VolumeSpike",
]

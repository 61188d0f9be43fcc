"""CDK constructs and the stack of leakguard: infrastructure only, no detection or git logic."""

from .config import ConfigError, LeakguardConfig, Remediation
from .stack import LeakguardStack

__all__ = ["ConfigError", "LeakguardConfig", "LeakguardStack", "Remediation"]

"""The inspector's core: a push event → the commits it introduced → findings → one security event."""

from leakguard.inspection.inspector import InspectionResult, Inspector

__all__ = ["InspectionResult", "Inspector"]

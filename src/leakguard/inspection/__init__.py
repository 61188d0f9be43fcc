"""The inspector's core: a push event → the commits it introduced → findings → one security event.

Import the modules themselves (``leakguard.inspection.inspector``, ``.refs``, …): this package imports
nothing, so that ``leakguard scan``, which reads ref names through ``.refs``, does not load the
inspector and with it boto3 and the event models (0.35 s of start-up).
"""

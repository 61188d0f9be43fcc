"""leakguard: catch credentials pushed to AWS CodeCommit and contain the damage within seconds."""

__version__ = "0.1.0"

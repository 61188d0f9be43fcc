"""leakguard: catch credentials pushed to AWS CodeCommit and contain the damage within seconds."""

__version__ = "0.1.0"

#: Where the project lives (``[project.urls]`` in pyproject.toml says the same; a test keeps them
#: equal). Reports link here: SARIF's ``informationUri`` and each rule's ``helpUri``.
PROJECT_URL = "https://github.com/leakguard/leakguard"
#: The admin guide, whose false-positive FAQ the CLI's hint and every SARIF rule's help point to.
ADMIN_GUIDE_URL = f"{PROJECT_URL}/blob/main/docs/admin.md"

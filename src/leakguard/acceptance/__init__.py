"""One policy for findings a developer accepted inside the repository, in the CLI and in the bot.

``.leakguardignore`` entries and ``leakguard:allow`` comments are a developer's *bypass*. By default
they are honoured (no lock, no reset, exit 0 in the CLI) and audited: the bot sends admins a notice
naming who accepted what, in which commit, and why. A repository's ``acceptancePolicy`` of
``findings`` turns them back into findings. Acceptances in the deployed configuration (the security
team's allowlists in the rules file) are silent: the engine never reports them at all.
"""

from leakguard.acceptance.policy import ACCEPTANCE_POLICIES, AcceptancePolicy, apply_policy

__all__ = ["ACCEPTANCE_POLICIES", "AcceptancePolicy", "apply_policy"]

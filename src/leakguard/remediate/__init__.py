"""The remediations a security event triggers (notify, lock, reset) and the admin actions that undo
them (unlock, restore). Each one is a small class taking its clients as arguments."""

"""Where clients stall, how long steps take against their targets, the pilots' metrics, and the
event log in and out. Reads indexed tables only."""

"""The read side: records, the results store, statistics, leaderboards, reports and comparisons."""

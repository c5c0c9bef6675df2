"""Wyoming servers the tool starts itself: the upstream reference servers as child processes."""

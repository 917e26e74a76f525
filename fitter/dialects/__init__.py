"""URL grammars. Each parses a request into a Plan and knows nothing of what follows."""

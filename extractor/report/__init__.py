"""Output formats: text for people, JSON (versioned) for tools."""

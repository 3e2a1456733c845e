"""`/drift …` comments: parsing (pure), and handling through the same code paths as the CLI."""

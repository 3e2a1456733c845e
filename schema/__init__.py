"""JSON Schemas of what drift-bot reads; installed as bot.schema (see bot/schema_check.py)."""

"""Operator commands that do not ship in the Lambda zip."""

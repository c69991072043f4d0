"""Utilities: compatibility fixes, audio reading, environment set-up."""

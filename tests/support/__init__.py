"""Test helpers shared by several areas (import as ``tests.support.<module>``)."""

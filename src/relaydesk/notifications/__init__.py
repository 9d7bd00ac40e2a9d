"""The bell: in-app notification items, one per user."""

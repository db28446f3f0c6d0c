"""The portal's pages outside the back office: one blueprint per module."""

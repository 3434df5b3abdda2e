"""The gait benchmark: named, versioned scenarios × controllers × episodes → metrics, tables and plots."""

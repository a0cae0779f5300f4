"""Document intake for a radiology Image Service Center."""

"""Every read of the access picture that is more than a get."""
